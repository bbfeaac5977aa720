from django.db import models


class DepartmentQuerySet(models.QuerySet):
    def active(self):
        return self.filter(is_active=True)

    def delete(self):
        raise models.ProtectedError("部门只能停用，不能删除。", set(self))


class Department(models.Model):
    """A district department that handles requests (区教育科技局, 区住建局 …).

    Departments are deactivated, never deleted: requests and audit events keep pointing at
    the department that handled them, years later.
    """

    code = models.CharField("代码", max_length=10, unique=True)
    name = models.CharField("名称", max_length=60)
    name_en = models.CharField("英文名称", max_length=120, blank=True)
    is_active = models.BooleanField("启用", default=True)
    sort_order = models.PositiveSmallIntegerField("排序", default=0)
    created_at = models.DateTimeField("创建时间", auto_now_add=True)

    objects = DepartmentQuerySet.as_manager()

    class Meta:
        verbose_name = "部门"
        verbose_name_plural = "部门"
        ordering = ["sort_order", "code"]
        constraints = [
            models.CheckConstraint(condition=~models.Q(code=""), name="department_code_not_empty"),
        ]

    def __str__(self):
        return self.name

    def delete(self, *args, **kwargs):
        raise models.ProtectedError("部门只能停用，不能删除。", {self})
