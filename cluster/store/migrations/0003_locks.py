from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("store", "0002_lost_race_function"),
    ]

    operations = [
        migrations.CreateModel(
            name="StoreLock",
            fields=[
                ("name", models.CharField(max_length=255, primary_key=True, serialize=False)),
                ("holder", models.CharField(max_length=255)),
                ("expires_at", models.FloatField()),
                ("dirty", models.BooleanField(default=False)),
            ],
            options={
                "db_table": "store_lock",
            },
        ),
    ]
