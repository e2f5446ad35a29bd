"""The user id a person's sessions are saved under, from Streamlit's sign-in claims."""

import pytest

from simulator.base.errors import ConfigError
from simulator.interview.identity import LOCAL_USER, user_id_from

GOOGLE = "https://accounts.google.com"


@pytest.mark.parametrize(
    "claims",
    [
        None,
        {},
        {"is_logged_in": False},
        {"is_logged_in": False, "sub": "123", "iss": GOOGLE},  # claims left from a signed-out user
        {"is_logged_in": "true", "sub": "123"},  # only a real True counts
    ],
)
def test_without_sign_in_everyone_is_the_local_user(claims: dict[str, object] | None) -> None:
    assert user_id_from(claims) == LOCAL_USER


def test_a_signed_in_person_is_their_issuer_and_subject() -> None:
    claims = {"is_logged_in": True, "iss": GOOGLE, "sub": "1098", "email": "Ann@Example.com"}
    assert user_id_from(claims) == f"oidc:{GOOGLE}:sub:1098"
    # The same person signing in again, with a changed email, is the same user.
    assert user_id_from(claims | {"email": "ann@new.example"}) == user_id_from(claims)


def test_people_are_told_apart_by_subject_and_by_issuer() -> None:
    ann = {"is_logged_in": True, "iss": GOOGLE, "sub": "1"}
    ids = {
        user_id_from(ann),
        user_id_from(ann | {"sub": "2"}),
        user_id_from(ann | {"iss": "https://login.microsoftonline.com/x/v2.0"}),
        user_id_from({"is_logged_in": True, "iss": GOOGLE, "email": "1"}),
    }
    assert len(ids) == 4 and LOCAL_USER not in ids


def test_the_email_stands_in_for_a_missing_subject() -> None:
    claims = {"is_logged_in": True, "iss": GOOGLE, "email": " Ann@Example.com "}
    assert user_id_from(claims) == f"oidc:{GOOGLE}:email:ann@example.com"


@pytest.mark.parametrize("claims", [{"is_logged_in": True}, {"is_logged_in": True, "sub": " "}])
def test_a_signed_in_person_without_subject_or_email_is_refused(claims: dict[str, object]) -> None:
    with pytest.raises(ConfigError) as err:
        user_id_from(claims)
    assert "\n" not in str(err.value) and "sub" in str(err.value)
