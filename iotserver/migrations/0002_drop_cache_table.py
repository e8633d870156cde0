"""Drop the database cache's table: the rate limits count in ratelimits' own table, and nothing else
ever used the cache."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("iotserver", "0001_cache_table")]

    operations = [migrations.RunSQL("DROP TABLE IF EXISTS iotserver_cache", migrations.RunSQL.noop)]
