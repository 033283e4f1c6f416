"""Editors keep a bill's numbers, relations, committees and entries into force; all read them."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

EDITABLE = ["registrationnumber", "lawrelation", "lawcommittee", "entryintoforce"]
READ_ONLY = ["proceduralevent", "cooperationprogramme"]


def grant(apps, schema_editor):
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    editors = [f"{action}_{m}" for m in EDITABLE for action in ("add", "change", "delete", "view")]
    viewing = [f"view_{m}" for m in EDITABLE + READ_ONLY]
    for name, codenames in (("Editors", editors + viewing), ("Viewers", viewing)):
        group = Group.objects.filter(name=name).first()
        if group is not None:
            group.permissions.add(
                *Permission.objects.filter(
                    content_type__app_label="tracker", codename__in=codenames
                )
            )


class Migration(migrations.Migration):
    dependencies = [("tracker", "0005_real_procedure")]

    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
