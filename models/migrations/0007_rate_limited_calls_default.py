from typing import Any

from tortoise import migrations
from tortoise.migrations import operations as ops


async def add_missing_default(_apps: Any, schema_editor: Any) -> None:
    # 0002 now gives the column its database default; a database that ran the released
    # 0002 (it only succeeded on a database holding no key) lacks it, and an older release
    # writing a key there fails. SET DEFAULT is a catalogue change, harmless where present.
    # SQLite can change a default only by rebuilding api_keys under its foreign keys, not
    # worth the risk: this release always writes the column itself.
    if schema_editor.DIALECT == "postgres":
        await schema_editor.client.execute_script(
            'ALTER TABLE "api_keys" ALTER COLUMN "rate_limited_calls" SET DEFAULT 0'
        )


class Migration(migrations.Migration):
    dependencies = [("models", "0006_sort_indexes")]

    initial = False

    operations = [ops.RunPython(add_missing_default, ops.RunPython.noop)]
