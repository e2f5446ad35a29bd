"""compose.yaml, read as data: the services the README's hosting section promises, wired to each
other and to settings the app really has.

`docker compose config` is the full check; `.ci/run` runs it (and builds the image) where a
docker engine is available. This test runs everywhere and catches what breaks silently: a
renamed setting, a service name the proxy or a URL no longer matches, a context window that
Ollama and the app disagree on.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml

from simulator.base.settings import PROJECT_ROOT, Settings

COMPOSE = PROJECT_ROOT / "compose.yaml"
INTERPOLATION = re.compile(r"\$\{(\w+)(?::?[-?]([^}]*))?\}")


def _compose() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))
    return data


def _resolved(value: object, given: dict[str, str] | None = None) -> str:
    """A value as compose would substitute it with nothing set but `given`: `${X:-d}` is its
    default, `${X:?msg}` stands for a value the user must set."""

    def substitute(match: re.Match[str]) -> str:
        name, rest = match.group(1), match.group(2) or ""
        if given and name in given:
            return given[name]
        return "must-be-set" if match.group(0).startswith(f"${{{name}:?") else rest

    return INTERPOLATION.sub(substitute, str(value))


def _variables(value: object) -> set[str]:
    return {m.group(1) for m in INTERPOLATION.finditer(str(value))}


@pytest.fixture(scope="module")
def services() -> dict[str, Any]:
    found: dict[str, Any] = _compose()["services"]
    return found


def test_the_stack_has_every_service_and_two_app_replicas(services: dict[str, Any]) -> None:
    assert {"proxy", "app", "index", "postgres", "chroma", "ollama"} <= set(services)
    app = services["app"]
    assert app["deploy"]["replicas"] == 2
    # Replicas cannot share a published port or a container name: only the proxy publishes.
    assert "ports" not in app and "container_name" not in app
    assert [s for s, spec in services.items() if "ports" in spec] == ["proxy"]


def test_dependencies_exist_and_wait_for_health(services: dict[str, Any]) -> None:
    for name, spec in services.items():
        for target, rule in (spec.get("depends_on") or {}).items():
            assert target in services, f"{name} depends on unknown {target}"
            if rule["condition"] == "service_healthy":
                assert "healthcheck" in services[target], f"{target} has no healthcheck"
            else:
                assert rule["condition"] == "service_completed_successfully"
                assert services[target]["restart"] == "no", f"{target} is not a one-shot job"
    assert set(services["app"]["depends_on"]) == {"postgres", "chroma", "ollama", "index"}
    assert all("healthcheck" in services[s] for s in ("app", "postgres", "chroma", "ollama"))


def test_the_app_environment_names_real_settings(services: dict[str, Any]) -> None:
    aliases = {
        alias.upper()
        for field in Settings.model_fields.values()
        if field.validation_alias is not None
        for alias in getattr(field.validation_alias, "choices", [field.validation_alias])
    }
    for name in ("app", "index"):
        env = services[name]["environment"]
        for key in env:
            if key.startswith("SIM_"):
                assert key.removeprefix("SIM_").lower() in Settings.model_fields, key
            else:
                assert key in aliases, key


def test_the_app_settings_reach_the_other_services(
    services: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    env = {key: _resolved(value) for key, value in services["app"]["environment"].items()}
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    settings = Settings(_env_file=None)  # type: ignore[call-arg]

    database = urlsplit(settings.database_url or "")
    assert settings.database_url and settings.database_url.startswith("postgresql+psycopg://")
    postgres = services["postgres"]["environment"]
    assert database.hostname == "postgres" and database.port == 5432
    assert database.username == postgres["POSTGRES_USER"]
    assert database.path == f"/{postgres['POSTGRES_DB']}"
    assert _variables(services["app"]["environment"]["SIM_DATABASE_URL"]) == _variables(
        postgres["POSTGRES_PASSWORD"]
    )

    chroma = urlsplit(settings.chroma_url or "")
    command = services["chroma"]["command"]
    assert chroma.hostname == "chroma" and str(chroma.port) == command[command.index("--port") + 1]

    ollama = services["ollama"]["environment"]
    assert settings.openai_base_url == "http://ollama:11434/v1"
    assert settings.model == f"openai:{ollama['INTERVIEWER_MODEL']}"
    assert services["ollama"]["healthcheck"]["test"][-1] == ollama["INTERVIEWER_MODEL"]
    assert str(settings.data_dir) == "/data"
    assert any(v.endswith(":/data") for v in services["app"]["volumes"])
    assert services["index"]["volumes"] == services["app"]["volumes"]  # one index pointer


def test_ollama_and_the_app_agree_on_the_context_window(services: dict[str, Any]) -> None:
    app = services["app"]["environment"]["SIM_CONTEXT_TOKENS"]
    ollama = services["ollama"]["environment"]["CONTEXT_TOKENS"]
    assert app == ollama  # the same variable and default
    for value in ("8192", None):
        given = {"CONTEXT_TOKENS": value} if value else None
        tokens = int(_resolved(app, given))
        assert tokens == int(_resolved(ollama, given))
        assert Settings.model_fields["context_tokens"].metadata[0].ge <= tokens
    script = (PROJECT_ROOT / "deploy" / "ollama" / "start.sh").read_text(encoding="utf-8")
    assert "PARAMETER num_ctx %s" in script and '"$CONTEXT_TOKENS"' in script


def test_the_proxy_balances_the_app_replicas_with_a_sticky_cookie(
    services: dict[str, Any],
) -> None:
    mounts = [v.split(":") for v in services["proxy"]["volumes"]]
    config = next(
        PROJECT_ROOT / host for host, inside, *_ in mounts if inside.endswith("Caddyfile")
    )
    text = config.read_text(encoding="utf-8")
    port = next(a.split("=")[1] for a in services["app"]["command"] if "server.port" in a)
    assert re.search(rf"dynamic a app {port}\b", text)
    assert re.search(r"^\s*lb_policy cookie\b", text, re.MULTILINE)
    assert ":80" in text and services["proxy"]["ports"][0].endswith(":80")


def test_every_file_compose_mounts_or_builds_exists(services: dict[str, Any]) -> None:
    for name, spec in services.items():
        for volume in spec.get("volumes") or []:
            host = volume.split(":")[0]
            if host.startswith("."):
                assert (PROJECT_ROOT / host).exists(), f"{name} mounts missing {host}"
        if "build" in spec:
            assert (PROJECT_ROOT / spec["build"] / "Dockerfile").is_file()
    example = PROJECT_ROOT / "deploy" / "secrets.example.toml"
    assert "[auth]" in example.read_text(encoding="utf-8")


def test_no_secret_goes_into_the_image() -> None:
    ignored = (PROJECT_ROOT / ".dockerignore").read_text(encoding="utf-8").split()
    assert {".env", ".streamlit/secrets.toml", ".data", ".venv", ".git"} <= set(ignored)
    dockerfile = (PROJECT_ROOT / "Dockerfile").read_text(encoding="utf-8")
    assert "COPY requirements.lock" in dockerfile and "USER sim" in dockerfile


def test_the_chroma_service_runs_the_clients_chromadb(services: dict[str, Any]) -> None:
    """chromadb's client and server must be one version: the server comes from the app image."""
    assert services["chroma"]["image"] == services["app"]["image"]
    assert services["chroma"]["command"][:2] == ["chroma", "run"]
