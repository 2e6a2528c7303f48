"""`observability keys create|list|revoke`: the API keys of the HTTP service.

Keys live in the store (only their keyed hash, see `auth.apikeys`), hashed with the server
secret (`OBSERVABILITY_AUTH_SECRET`, else `<state dir>/auth_secret`): run these where the
server's store and secret are. A running server sees a new or revoked key within
`auth_cache_seconds` (10 s by default).
"""

from __future__ import annotations

import click
import orjson
from rich.table import Table

from observability.auth.apikeys import ApiKeyRecord, KeyStore
from observability.auth.roles import KeyRole, parse_role
from observability.auth.secret import server_secret
from observability.commands.common import cli_context, stdout_console


class _RoleType(click.ParamType[KeyRole]):
    """viewer, ingest or admin."""

    name = "role"

    def convert(
        self, value: object, param: click.Parameter | None, ctx: click.Context | None
    ) -> KeyRole:
        if isinstance(value, KeyRole):
            return value
        try:
            return parse_role(str(value))
        except ValueError as exc:
            self.fail(str(exc), param, ctx)


@click.group("keys")
def keys() -> None:
    """API keys: viewer reads, ingest sends records, admin does everything."""


@keys.command("create")
@click.option("--role", type=_RoleType(), required=True, help="viewer, ingest or admin.")
@click.option("--name", default=None, help="A label to tell keys apart (default: the role).")
@click.pass_context
def create(ctx: click.Context, role: KeyRole, name: str | None) -> None:
    """Make a key and print it, once: it is stored only as a keyed hash."""
    runtime = cli_context(ctx).runtime()
    secret = server_secret(runtime.settings)
    key, record = KeyStore(runtime.store).create(role, name or role.value, secret)
    click.echo(key)
    click.echo(
        f"created key {record.key_id} ({record.role}, {record.name!r}); it is shown only "
        "now: send it as `Authorization: Bearer <key>` (or set OBSERVABILITY_API_KEY)",
        err=True,
    )


@keys.command("list")
@click.option("--format", "output", type=click.Choice(["table", "json"]), default="table")
@click.pass_context
def list_keys(ctx: click.Context, output: str) -> None:
    """Every key with its id, role, name, creation time and state (never the key)."""
    runtime = cli_context(ctx).runtime()
    records = KeyStore(runtime.store).records()
    if output == "json":
        click.echo(orjson.dumps([_row(record) for record in records]).decode())
        return
    console = stdout_console()
    if not records:
        console.print("no API keys: the service is open on loopback only (the local mode)")
        return
    table = Table(title=f"API keys in {runtime.store.url}")
    for column in ("key id", "role", "name", "created", "state"):
        table.add_column(column)
    for record in records:
        row = _row(record)
        table.add_row(
            record.key_id, record.role.value, record.name, str(row["created_at"]), row["state"]
        )
    console.print(table)


@keys.command("revoke")
@click.argument("key_id")
@click.pass_context
def revoke(ctx: click.Context, key_id: str) -> None:
    """Revoke a key by its id; servers refuse it within `auth_cache_seconds`."""
    runtime = cli_context(ctx).runtime()
    record, before = KeyStore(runtime.store).revoke(key_id)
    state = "was already revoked" if before else "revoked"
    click.echo(f"key {record.key_id} ({record.role}, {record.name!r}) {state}")


def _row(record: ApiKeyRecord) -> dict[str, str]:
    return {
        "key_id": record.key_id,
        "role": record.role.value,
        "name": record.name,
        "created_at": record.created_at.isoformat(timespec="seconds"),
        "state": "revoked" if record.revoked else "active",
    }
