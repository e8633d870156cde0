"""Once made the database cache's table; nothing uses a cache now (see 0002). Kept so that
servers that applied it keep a consistent migration history."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = []

    operations = []
