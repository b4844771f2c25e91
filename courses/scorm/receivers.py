"""A deleted SCORM package's files leave the storage once the deletion has committed.

Connected from ScormConfig.ready: a package row goes when its module is deleted (CASCADE, e.g.
``courses.services.authoring.module_delete`` on a Draft course); its folder ``scorm/<uuid>/`` is
emptied after the transaction commits, so a rolled-back deletion keeps its files.
"""

from __future__ import annotations

from django.db import transaction
from django.db.models.signals import post_delete
from django.dispatch import receiver

from courses.scorm.models import ScormPackage
from courses.scorm.services import scorm_storage_delete


@receiver(post_delete, sender=ScormPackage, dispatch_uid="scorm-package-files-on-delete")
def delete_package_files(sender, instance: ScormPackage, **kwargs) -> None:
    prefix = instance.storage_prefix
    transaction.on_commit(lambda: scorm_storage_delete(prefix))
