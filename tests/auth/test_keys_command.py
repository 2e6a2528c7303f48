"""`observability keys create|list|revoke`, in process as the console script runs them."""

from __future__ import annotations

from pathlib import Path

import orjson
from click.testing import CliRunner, Result

from observability.auth.apikeys import KeyStore, key_id_of
from observability.auth.secret import server_secret
from observability.cli import main
from observability.core.settings import Settings
from observability.store.local import LocalStore


def run(tmp_path: Path, *args: str) -> Result:
    """The CLI on a store and state dir under tmp_path."""
    env = {
        "OBSERVABILITY_STORE_URL": (tmp_path / "store").as_uri(),
        "OBSERVABILITY_STATE_DIR": str(tmp_path / "state"),
    }
    return CliRunner().invoke(main, ["keys", *args], env=env)


def test_create_prints_the_key_once_and_stores_its_hash(tmp_path: Path) -> None:
    """`keys create` prints only the key on stdout; the store then verifies it."""
    made = run(tmp_path, "create", "--role", "ingest", "--name", "checkout producer")
    assert made.exit_code == 0, made.stderr
    key = made.stdout.strip()
    assert key_id_of(key) is not None
    assert "shown only now" in made.stderr
    settings = Settings.from_env({}, state_dir=tmp_path / "state")
    records = KeyStore(LocalStore(tmp_path / "store")).records()
    assert len(records) == 1 and records[0].matches(key, server_secret(settings))
    assert (records[0].role, records[0].name) == ("ingest", "checkout producer")


def test_list_never_shows_a_key_and_revoke_marks_it(tmp_path: Path) -> None:
    """`keys list` names id, role, name and state, never the key; `keys revoke` flips the
    state, and a second revoke says so."""
    key = run(tmp_path, "create", "--role", "viewer").stdout.strip()
    key_id = key_id_of(key)
    assert key_id is not None
    table = run(tmp_path, "list")
    assert key_id in table.stdout and "viewer" in table.stdout and "active" in table.stdout
    assert key.split("_", 2)[2] not in table.stdout  # the secret (it may hold "_" itself)
    revoked = run(tmp_path, "revoke", key_id)
    assert revoked.exit_code == 0
    assert revoked.stdout.strip() == f"key {key_id} (viewer, 'viewer') revoked"
    assert "already revoked" in run(tmp_path, "revoke", key_id).stdout
    listed = orjson.loads(run(tmp_path, "list", "--format", "json").stdout)
    assert [(row["key_id"], row["state"]) for row in listed] == [(key_id, "revoked")]


def test_mistakes_are_one_line(tmp_path: Path) -> None:
    """An unknown role is a usage error (2); an unknown key id a runtime error (1); each
    one line on stderr."""
    bad_role = run(tmp_path, "create", "--role", "root")
    assert bad_role.exit_code == 2
    assert "use one of viewer, ingest, admin" in bad_role.stderr
    unknown = run(tmp_path, "revoke", "0123456789abcdef")
    assert unknown.exit_code == 1
    assert unknown.stderr.strip().splitlines() == [
        "error: no API key has the id '0123456789abcdef'"
    ]
    empty = run(tmp_path, "list")
    assert "no API keys" in empty.stdout
