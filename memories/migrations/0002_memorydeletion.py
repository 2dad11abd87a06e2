# The audit table has its own migration so that `migrate --fake-initial` can adopt an
# existing Agno table on any database, including default, and still create this one.

import django.utils.timezone
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("memories", "0001_initial"),
    ]

    operations = [
        migrations.CreateModel(
            name='MemoryDeletion',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('deleted_at', models.DateTimeField(db_index=True, default=django.utils.timezone.now)),
                ('actor', models.CharField(db_index=True, max_length=255)),
                ('channel', models.CharField(choices=[('api', 'API'), ('admin', 'Django admin'), ('command', 'Management command')], db_index=True, max_length=16)),
                ('db_id', models.CharField(db_index=True, max_length=255)),
                ('table_name', models.CharField(max_length=255)),
                ('memory_ids', models.JSONField(default=list)),
                ('user_ids', models.JSONField(default=list)),
                ('count', models.PositiveIntegerField()),
            ],
            options={
                'verbose_name': 'memory deletion',
                'verbose_name_plural': 'memory deletions',
                'ordering': ['-deleted_at', '-id'],
            },
        ),
    ]
