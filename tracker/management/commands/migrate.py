"""Django's `migrate`, with statements allowed DATABASE_MIGRATE_STATEMENT_TIMEOUT (none by
default) instead of the requests' DATABASE_STATEMENT_TIMEOUT: a migration may rewrite a large
table, and must not be cancelled halfway through a deployment."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.commands.migrate import Command as MigrateCommand
from django.db import connections
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.backends.signals import connection_created


def lift_statement_timeout(connection: BaseDatabaseWrapper) -> None:
    milliseconds = round(float(settings.DATABASE_MIGRATE_STATEMENT_TIMEOUT) * 1000)
    with connection.cursor() as cursor:
        cursor.execute(f"SET statement_timeout = {int(milliseconds)}")


class Command(MigrateCommand):
    def handle(self, *args: Any, **options: Any) -> None:
        alias = options["database"]
        connection = connections[alias]
        if connection.vendor != "postgresql":
            return super().handle(*args, **options)

        def on_connect(sender: Any, connection: BaseDatabaseWrapper, **kwargs: Any) -> None:
            if connection.alias == alias:
                lift_statement_timeout(connection)

        connection_created.connect(on_connect)
        try:
            if connection.connection is not None:
                lift_statement_timeout(connection)
            return super().handle(*args, **options)
        finally:
            connection_created.disconnect(on_connect)
            if connection.connection is not None and connection.is_usable():
                with connection.cursor() as cursor:
                    # back to what the connection was opened with (the settings' timeout)
                    cursor.execute("RESET statement_timeout")
