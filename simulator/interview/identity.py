"""Who is using the app: a stable user id from the sign-in claims, or the one local user.

With Streamlit's OIDC sign-in, `st.user` holds the identity provider's claims. A person is the
pair (issuer, subject): `sub` never changes for a person at one issuer and is never given to
another, where an email address can change hands; the email stands in only when a provider
gives no subject. Without sign-in everyone is the one local user, as before there were users.
"""

from collections.abc import Mapping

from simulator.base.errors import ConfigError

LOCAL_USER = "local"
"""The user of an app without sign-in, and the owner of every session saved before users."""


def user_id_from(claims: Mapping[str, object] | None) -> str:
    """The id a person's sessions are saved under: `oidc:ISSUER:sub:SUBJECT` (or
    `oidc:ISSUER:email:ADDRESS`) when signed in, else LOCAL_USER. The prefix keeps every
    signed-in id apart from LOCAL_USER and a subject apart from an address."""
    if not claims or claims.get("is_logged_in") is not True:
        return LOCAL_USER
    issuer = _claim(claims, "iss")
    subject = _claim(claims, "sub")
    if subject:
        return f"oidc:{issuer}:sub:{subject}"
    email = _claim(claims, "email").lower()
    if email:
        return f"oidc:{issuer}:email:{email}"
    # Saving such a person's sessions under any shared id would show them to others.
    raise ConfigError("the sign-in provider gave no subject (sub) or email claim for this user")


def _claim(claims: Mapping[str, object], name: str) -> str:
    value = claims.get(name)
    return value.strip() if isinstance(value, str) else ""
