from decimal import Decimal

from django.db import migrations

FLAVORS = [
    # code, name, vCPUs, memory MiB, EUR per hour
    ("pico", "pico", "0.25", 256, "0.0090"),
    ("nano", "nano", "0.5", 512, "0.0180"),
    ("xs", "XS", "1", 1024, "0.0390"),
    ("s", "S", "2", 2048, "0.0780"),
    ("m", "M", "4", 4096, "0.1560"),
    ("l", "L", "6", 8192, "0.3120"),
    ("xl", "XL", "8", 16384, "0.6240"),
    ("2xl", "2XL", "12", 24576, "0.9360"),
    ("3xl", "3XL", "16", 32768, "1.2480"),
]

PLANS = [
    # kind, code, name, EUR per month
    ("postgresql", "dev", "DEV", "0.00"),
    ("postgresql", "xs", "XS Small Space", "10.00"),
    ("postgresql", "s", "S Medium Space", "20.00"),
    ("postgresql", "m", "M Big Space", "50.00"),
    ("mysql", "dev", "DEV", "0.00"),
    ("mysql", "xs", "XS Small Space", "10.00"),
    ("mysql", "s", "S Medium Space", "20.00"),
    ("redis", "s", "S (256 MiB)", "10.00"),
    ("redis", "m", "M (1 GiB)", "30.00"),
    ("mongodb", "dev", "DEV", "0.00"),
    ("mongodb", "s", "S", "25.00"),
    ("s3", "standard", "Standard (per 100 GB)", "2.00"),
]


def create_price_list(apps, schema_editor):
    Flavor = apps.get_model("billing", "Flavor")
    AddonPlan = apps.get_model("billing", "AddonPlan")
    for position, (code, name, vcpus, memory, price) in enumerate(FLAVORS):
        Flavor.objects.update_or_create(
            code=code,
            defaults={
                "name": name,
                "vcpus": Decimal(vcpus),
                "memory_mb": memory,
                "hourly_price": Decimal(price),
                "position": position,
            },
        )
    for position, (kind, code, name, price) in enumerate(PLANS):
        AddonPlan.objects.update_or_create(
            kind=kind, code=code, defaults={"name": name, "monthly_price": Decimal(price), "position": position}
        )


class Migration(migrations.Migration):
    dependencies = [("billing", "0001_initial")]

    operations = [migrations.RunPython(create_price_list, migrations.RunPython.noop)]
