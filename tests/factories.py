"""factory_boy factories. Every talent gets a valid, unique GB 11643 number."""

import factory
from factory.django import DjangoModelFactory

from portal.identity import IdType, gb11643_check_char
from portal.models import Department, Role, User

PASSWORD = "Test@Pass2026"


def resident_id(n: int, *, birth: str = "19880315", address: str = "511902") -> str:
    first17 = f"{address}{birth}{n % 1000:03d}"
    return first17 + gb11643_check_char(first17)


class DepartmentFactory(DjangoModelFactory):
    class Meta:
        model = Department
        django_get_or_create = ["code"]

    code = factory.Sequence(lambda n: f"D{n:02d}")
    name = factory.LazyAttribute(lambda o: f"测试部门{o.code}")


class UserFactory(DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    real_name = factory.Sequence(lambda n: f"测试{n}")
    role = Role.TALENT
    phone = factory.Sequence(lambda n: f"139{n:08d}")

    @factory.post_generation
    def password(obj, create, extracted, **kwargs):
        obj.set_password(extracted or PASSWORD)
        if create:
            obj.save(update_fields=["password"])


class TalentFactory(UserFactory):
    role = Role.TALENT
    id_number = factory.Sequence(lambda n: resident_id(n, birth=f"19{70 + n // 1000 % 30}0315"))

    @classmethod
    def _create(cls, model_class, *args, id_number=None, **kwargs):
        user = model_class(*args, **kwargs)
        # Stored like account_register stores it: encrypted plus keyed hash, nothing plain.
        user.set_id_number(IdType.RESIDENT, id_number)
        user.save()
        return user
