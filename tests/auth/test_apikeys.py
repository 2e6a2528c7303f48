"""API keys: their shape and entropy, what the store keeps of them, revoking them."""

from __future__ import annotations

import base64

import orjson
import pytest

from observability.auth.apikeys import ApiKeyError, KeyStore, key_id_of
from observability.auth.roles import KeyRole
from observability.auth.secret import ServerSecret
from observability.core import keys
from observability.store.local import LocalStore

SECRET = ServerSecret(b"s" * 40)


def test_key_has_256_random_bits_and_its_id(store: LocalStore) -> None:
    """A key is obs_<16 hex>_<43 url-safe chars = 32 bytes>, and each key differs."""
    keystore = KeyStore(store)
    made = [keystore.create(KeyRole.VIEWER, "v", SECRET) for _ in range(5)]
    for key, record in made:
        prefix, key_id, secret = key.split("_", 2)
        assert (prefix, key_id) == ("obs", record.key_id)
        assert len(base64.urlsafe_b64decode(secret + "=")) == 32
        assert key_id_of(key) == record.key_id
    assert len({key for key, _ in made}) == 5


def test_store_holds_a_keyed_hash_never_the_key(store: LocalStore) -> None:
    """The record under auth/keys/ has the role, name and HMAC, and no part of the key."""
    key, record = KeyStore(store).create(KeyRole.INGEST, "producer A", SECRET)
    stored = store.get(keys.api_key_key(record.key_id))
    assert key.encode() not in stored and key.split("_", 2)[2].encode() not in stored
    body = orjson.loads(stored)
    assert body["role"] == "ingest" and body["name"] == "producer A"
    assert body["hmac_sha256"] == SECRET.digest(key)
    assert record.matches(key, SECRET)
    assert not record.matches(key[:-1] + ("A" if key[-1] != "A" else "B"), SECRET)
    assert not record.matches(key, ServerSecret(b"t" * 40))


def test_revoke_marks_and_lists(store: LocalStore) -> None:
    """Revoking writes a marker; the list shows every key with its state, oldest first."""
    keystore = KeyStore(store)
    _, first = keystore.create(KeyRole.ADMIN, "first", SECRET)
    _, second = keystore.create(KeyRole.VIEWER, "second", SECRET)
    revoked, before = keystore.revoke(first.key_id)
    _, before_again = keystore.revoke(first.key_id)
    assert revoked.revoked and not before and before_again
    assert store.exists(keys.api_key_revoked_key(first.key_id))
    listed = keystore.records()
    assert [(r.key_id, r.revoked) for r in listed] == [(first.key_id, True), (second.key_id, False)]


def test_unknown_or_malformed_id_is_a_clear_error(store: LocalStore) -> None:
    """Revoking an id that is not there, or cannot be one, names it."""
    keystore = KeyStore(store)
    with pytest.raises(ApiKeyError, match="no API key has the id 'feedface'"):
        keystore.revoke("feedface")
    with pytest.raises(ApiKeyError, match="no API key has the id"):
        keystore.revoke("../etc")


def test_bad_names_are_refused(store: LocalStore) -> None:
    """A name is 1-100 printable characters."""
    keystore = KeyStore(store)
    for name in ("", "x" * 101, "new\nline"):
        with pytest.raises(ApiKeyError, match="printable"):
            keystore.create(KeyRole.VIEWER, name, SECRET)


def test_a_broken_record_does_not_hide_the_others(store: LocalStore) -> None:
    """`load` returns a broken record apart, with the others intact; `records` reports it."""
    keystore = KeyStore(store)
    _, good = keystore.create(KeyRole.VIEWER, "good", SECRET)
    store.put(keys.api_key_key("0123456789abcdef"), b"{not json")
    records, broken = keystore.load({})
    assert list(records) == [good.key_id]
    assert len(broken) == 1 and "0123456789abcdef" in str(broken[0])
    with pytest.raises(ApiKeyError, match="0123456789abcdef"):
        keystore.records()


def test_shapes_that_are_not_keys() -> None:
    """Only the exact shape has an id: a JWT, a short key or extra text do not."""
    assert key_id_of("a.b.c") is None
    assert key_id_of("obs_0123456789abcdef_short") is None
    assert key_id_of("obs_0123456789abcdef_" + "A" * 43 + " ") is None
    assert key_id_of("obs_0123456789abcdef_" + "A" * 43) == "0123456789abcdef"
