"""Casework in the Django admin is read-only and superusers' only, and reading it is audited."""

import pytest
from django.apps import apps
from django.contrib import admin
from django.test import RequestFactory

from ooh.audit.models import AccessAction
from ooh.flags.models import Flag, FlagVersion
from tests.factories import flag, person

from .pages import FLAG_VERSIONS, FLAGS, audit_rows, page_ids, people_of, signed_in

# Apps whose models are a family's records (casework) or their history.
CASEWORK_APPS = {"people", "flags", "plans", "incidents", "alerts", "access", "audit"}


# --- Casework: read-only for everyone, superusers only ---------------------------------------------


@pytest.mark.django_db
class TestCaseworkIsReadOnly:
    def test_a_flag_cannot_be_edited_in_the_admin_even_by_a_superuser(self, client, root, mara_flag):
        signed_in(client, root)
        url = f"{FLAGS}{mara_flag.pk}/change/"
        page = client.get(url)
        assert page.status_code == 200
        assert page.context["has_change_permission"] is False
        versions = FlagVersion.objects.filter(flag=mara_flag).count()

        response = client.post(url, {"summary": "Nothing to see", "severity": "low", "status": "revoked"})

        assert response.status_code == 403
        mara_flag.refresh_from_db()
        assert (mara_flag.summary, mara_flag.severity, mara_flag.status) == (
            "Knife at address",
            "high",
            "active",
        )
        assert FlagVersion.objects.filter(flag=mara_flag).count() == versions

    def test_a_flag_cannot_be_added_or_deleted_in_the_admin(self, client, root, mara_flag):
        signed_in(client, root)
        assert client.get(f"{FLAGS}add/").status_code == 403
        assert client.post(f"{FLAGS}{mara_flag.pk}/delete/", {"post": "yes"}).status_code == 403
        assert Flag.objects.filter(pk=mara_flag.pk).exists()

    def test_flag_history_cannot_be_forged_in_the_admin(self, client, root, mara_flag):
        signed_in(client, root)
        version = FlagVersion.objects.get(flag=mara_flag)
        forged = {
            "flag": str(mara_flag.pk),
            "version": "2",
            "snapshot": '{"summary": "never said"}',
            "changed_by": str(root.pk),
            "changed_at_0": "2020-01-01",
            "changed_at_1": "00:00:00",
            "change": "edit",
        }

        assert client.get(f"{FLAG_VERSIONS}add/").status_code == 403
        assert client.post(f"{FLAG_VERSIONS}add/", forged).status_code == 403
        assert client.post(f"{FLAG_VERSIONS}{version.pk}/change/", forged).status_code == 403
        assert client.post(f"{FLAG_VERSIONS}{version.pk}/delete/", {"post": "yes"}).status_code == 403
        assert list(FlagVersion.objects.filter(flag=mara_flag).values_list("pk", "version")) == [
            (version.pk, 1)
        ]

    @pytest.mark.parametrize(
        "label",
        [
            "flags.FlagVersion",
            "plans.BirthPlanVersion",
            "plans.Acknowledgement",
            "incidents.Event",
            "audit.AccessLog",
            "audit.AccessedPerson",
        ],
    )
    def test_history_is_never_added_changed_or_deleted_in_the_admin(self, root, label):
        model = apps.get_model(label)
        if not admin.site.is_registered(model):
            return  # no page at all
        model_admin = admin.site._registry[model]
        request = RequestFactory().get("/admin/")
        request.user = root
        assert model_admin.has_add_permission(request) is False
        assert model_admin.has_change_permission(request) is False
        assert model_admin.has_delete_permission(request) is False

    def test_no_casework_model_is_writable_in_the_admin(self, root, pam):
        registered = [
            (model, model_admin)
            for model, model_admin in admin.site._registry.items()
            if model._meta.app_label in CASEWORK_APPS
        ]
        assert Flag in dict(registered)  # the test sees the pages it guards
        for model, model_admin in registered:
            request = RequestFactory().get("/admin/")
            request.user = root
            assert model_admin.has_add_permission(request) is False, model
            assert model_admin.has_change_permission(request) is False, model
            assert model_admin.has_delete_permission(request) is False, model
            assert model_admin.get_actions(request) == {}, model
            if model._meta.app_label != "audit":
                request.user = pam
                assert model_admin.has_view_permission(request) is False, model
                assert model_admin.has_module_permission(request) is False, model


@pytest.mark.django_db
class TestReadingCaseworkIsAudited:
    def test_reading_a_flag_in_the_admin_is_audited_with_its_subject(self, client, root, mara_flag, subject):
        signed_in(client, root)
        assert client.get(f"{FLAGS}{mara_flag.pk}/change/").status_code == 200

        [log] = audit_rows(action=AccessAction.READ, object_type="flag")
        assert log.user == root
        assert log.object_ids == [str(mara_flag.pk)]
        assert log.reason == "Django admin"
        assert people_of(log) == [str(subject.pk)]

    def test_the_flag_list_in_the_admin_is_audited_with_every_person_shown(
        self, client, root, alice, mara_flag, subject
    ):
        other = person(alice, family_name="Roe")
        other_flag = flag(alice, on=other, category="other", severity="low")
        signed_in(client, root)

        response = client.get(FLAGS)

        assert response.status_code == 200
        assert page_ids(response) == {mara_flag.pk, other_flag.pk}
        [log] = audit_rows(action=AccessAction.READ, object_type="flag")
        assert sorted(log.object_ids) == sorted([str(mara_flag.pk), str(other_flag.pk)])
        assert people_of(log) == sorted([str(subject.pk), str(other.pk)])

    def test_reading_flag_history_in_the_admin_is_audited(self, client, root, mara_flag, subject):
        version = FlagVersion.objects.get(flag=mara_flag)
        signed_in(client, root)
        assert client.get(f"{FLAG_VERSIONS}{version.pk}/change/").status_code == 200

        [log] = audit_rows(action=AccessAction.READ, object_type="flag_version")
        assert log.object_ids == [str(version.pk)]
        assert people_of(log) == [str(subject.pk)]

    def test_a_records_admin_history_page_is_refused(self, client, root, mara_flag):
        signed_in(client, root)
        assert client.get(f"{FLAGS}{mara_flag.pk}/history/").status_code == 403

    def test_a_null_character_in_the_list_query_is_refused(self, client, root, mara_flag):
        signed_in(client, root)
        assert client.get(FLAGS, {"q": "Knife\x00"}).status_code == 400
        assert not audit_rows(action=AccessAction.READ)
