"""The two staff roles: editors do the work, viewers read."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

RECORDS = ["draftlaw", "taxmeasure", "facility", "partnercountry"]
INLINES = ["lawdocument", "agreement", "contact"]
READ_ONLY = ["statuschange", "event"]


def editor_codenames() -> list[str]:
    codenames = []
    for model in ["draftlaw", "taxmeasure", "facility", "lawdocument"]:
        codenames += [f"add_{model}", f"change_{model}", f"view_{model}"]
    codenames += [f"transition_{model}" for model in RECORDS]
    codenames += ["view_partnercountry", "view_agreement", "view_contact"]
    codenames += [f"view_{model}" for model in READ_ONLY]
    return codenames


def viewer_codenames() -> list[str]:
    return [f"view_{model}" for model in RECORDS + INLINES + READ_ONLY]


def create_roles(apps, schema_editor):
    # Permissions are normally created after all migrations; the roles need them now.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, codenames in (("Editors", editor_codenames()), ("Viewers", viewer_codenames())):
        group, _ = Group.objects.get_or_create(name=name)
        group.permissions.set(
            Permission.objects.filter(content_type__app_label="tracker", codename__in=codenames)
        )


def remove_roles(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=["Editors", "Viewers"]).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("tracker", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_roles, remove_roles)]
