"""`flask exchange keygen`: the deployment's Ed25519 signing key, in a 0600 file."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import AppGroup

from machines import signing

exchange_cli = AppGroup("exchange", help="区域数据交换 (regional data exchange)")


@exchange_cli.command("keygen")
@click.option("--force", is_flag=True, help="replace an existing key (partners must re-register)")
def keygen(force: bool) -> None:
    """Make the signing key under instance/ (mode 0600); print only its public half."""
    path = signing.key_path(current_app.instance_path)
    try:
        public = signing.generate_key_file(path, force=force)
    except FileExistsError as exc:
        raise click.ClickException(f"{path} exists; --force replaces it") from exc
    click.echo(f"key file: {path} (0600)")
    click.echo(f"key_id: {signing.key_id_of(public)}")
    click.echo(f"public_key: {signing.public_key_b64(public)}")
