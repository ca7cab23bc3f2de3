# The draft batch's work moved onto the task queue: the row links to its task and no longer
# keeps its own heartbeat (the queue's worker does, persx/jobs).

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("persx_studio", "0003_batches_retirements_ai_vs_human")]

    operations = [
        migrations.RemoveField(model_name="draftbatch", name="heartbeat_at"),
        migrations.AddField(
            model_name="draftbatch",
            name="task_id",
            field=models.CharField(blank=True, max_length=64),
        ),
    ]
