"""The access log is append-only: the ORM, the admin and (on PostgreSQL) the database refuse changes."""

import uuid

import pytest
from django.contrib import admin
from django.db import connection
from django.db.utils import DatabaseError
from django.test import RequestFactory

from ooh.audit.models import AccessedPerson, AccessLog, AppendOnlyError
from ooh.audit.records import record_access
from ooh.observability import request_id_var


def a_log(**fields):
    fields.setdefault("action", "read")
    fields.setdefault("object_type", "person")
    fields.setdefault("username", "auditor")
    return record_access(**fields)


@pytest.fixture
def log(db):
    return a_log(object_ids=["p1"], person_ids=[uuid.uuid4(), uuid.uuid4()])


@pytest.mark.django_db
class TestOrmRefusesChanges:
    def test_new_rows_can_be_written(self, log):
        assert AccessLog.objects.count() == 1
        assert AccessedPerson.objects.filter(log=log).count() == 2

    def test_saving_an_existing_log_is_refused(self, log):
        log.reason = "tampered"
        with pytest.raises(AppendOnlyError, match="append-only"):
            log.save()
        assert AccessLog.objects.get(pk=log.pk).reason == ""

    def test_saving_a_fetched_log_is_refused(self, log):
        fetched = AccessLog.objects.get(pk=log.pk)
        with pytest.raises(AppendOnlyError):
            fetched.save(update_fields=["reason"])

    def test_deleting_a_log_is_refused(self, log):
        with pytest.raises(AppendOnlyError):
            log.delete()
        assert AccessLog.objects.filter(pk=log.pk).exists()

    def test_queryset_update_of_logs_is_refused(self, log):
        with pytest.raises(AppendOnlyError):
            AccessLog.objects.filter(pk=log.pk).update(reason="tampered")
        assert AccessLog.objects.get(pk=log.pk).reason == ""

    def test_queryset_delete_of_logs_is_refused(self, log):
        with pytest.raises(AppendOnlyError):
            AccessLog.objects.all().delete()
        assert AccessLog.objects.count() == 1

    def test_bulk_update_of_logs_is_refused(self, log):
        log.reason = "tampered"
        with pytest.raises(AppendOnlyError):
            AccessLog.objects.bulk_update([log], ["reason"])
        assert AccessLog.objects.get(pk=log.pk).reason == ""

    def test_saving_an_existing_accessed_person_is_refused(self, log):
        row = AccessedPerson.objects.filter(log=log).first()
        original = row.person_id
        row.person_id = uuid.uuid4()
        with pytest.raises(AppendOnlyError):
            row.save()
        assert AccessedPerson.objects.get(pk=row.pk).person_id == original

    def test_deleting_an_accessed_person_is_refused(self, log):
        with pytest.raises(AppendOnlyError):
            AccessedPerson.objects.filter(log=log).first().delete()
        assert AccessedPerson.objects.filter(log=log).count() == 2

    def test_queryset_update_and_delete_of_accessed_people_are_refused(self, log):
        with pytest.raises(AppendOnlyError):
            AccessedPerson.objects.update(person_id=uuid.uuid4())
        with pytest.raises(AppendOnlyError):
            AccessedPerson.objects.all().delete()
        assert AccessedPerson.objects.count() == 2

    def test_the_related_manager_cannot_delete_a_logs_people(self, log):
        with pytest.raises(AppendOnlyError):
            log.people.all().delete()
        assert log.people.count() == 2


@pytest.mark.django_db
class TestAdminIsReadOnly:
    def request_as(self, user):
        request = RequestFactory().get("/admin/audit/accesslog/")
        request.user = user
        return request

    def test_even_a_superuser_may_not_add_change_or_delete_logs(self, root, log):
        model_admin = admin.site._registry[AccessLog]
        request = self.request_as(root)
        assert model_admin.has_add_permission(request) is False
        assert model_admin.has_change_permission(request) is False
        assert model_admin.has_change_permission(request, log) is False
        assert model_admin.has_delete_permission(request) is False
        assert model_admin.has_delete_permission(request, log) is False

    def test_a_superuser_may_still_view_logs(self, root, log):
        model_admin = admin.site._registry[AccessLog]
        assert model_admin.has_view_permission(self.request_as(root), log) is True

    def test_accessed_people_are_not_exposed_in_the_admin(self):
        assert not admin.site.is_registered(AccessedPerson)

    def test_the_admin_delete_page_refuses_a_superuser(self, client, root, log):
        client.force_login(root)
        response = client.post(f"/admin/audit/accesslog/{log.pk}/delete/", {"post": "yes"})
        assert response.status_code == 403
        assert AccessLog.objects.filter(pk=log.pk).exists()

    def test_the_admin_change_page_does_not_save_a_superusers_edit(self, client, root, log):
        client.force_login(root)
        url = f"/admin/audit/accesslog/{log.pk}/change/"
        assert client.get(url).status_code == 200
        response = client.post(url, {"reason": "tampered", "action": "read", "object_type": "person"})
        assert response.status_code == 403
        assert AccessLog.objects.get(pk=log.pk).reason == ""


@pytest.mark.django_db
class TestRecordAccess:
    def test_a_request_is_recorded_with_who_where_why_and_the_people_disclosed(self, alice, police):
        incident_id = uuid.uuid4()
        first, second = uuid.uuid4(), uuid.uuid4()
        request = RequestFactory().get(
            "/api/v1/people/",
            {"incident": str(incident_id)},
            headers={"X-Access-Reason": "checking welfare"},
            REMOTE_ADDR="10.2.3.4",
        )
        request.user = alice
        request.request_id = "req-0123456789"

        log = record_access(
            action="read",
            object_type="person",
            object_ids=[first, second],
            person_ids=[second, first, first],
            request=request,
        )

        row = AccessLog.objects.get()
        assert row.pk == log.pk
        assert row.user == alice
        assert row.username == "alice"
        assert row.agency == police
        assert row.role == "call_handler"
        assert row.action == "read"
        assert row.object_type == "person"
        assert row.object_ids == [str(first), str(second)]
        assert row.request_id == "req-0123456789"
        assert row.ip == "10.2.3.4"
        assert row.incident_id == incident_id
        assert row.reason == "checking welfare"
        assert row.at is not None
        assert sorted(row.people.values_list("person_id", flat=True)) == sorted([first, second])

    def test_an_explicit_incident_and_reason_are_kept(self, alice):
        incident_id = uuid.uuid4()
        log = record_access(
            action="update", object_type="flag", actor=alice, incident_id=incident_id, reason="review"
        )
        log.refresh_from_db()
        assert (log.incident_id, log.reason, log.user) == (incident_id, "review", alice)
        assert not log.people.exists()

    def test_a_malformed_incident_parameter_is_ignored(self, alice):
        request = RequestFactory().get("/api/v1/people/", {"incident": "not-a-uuid"})
        request.user = alice
        log = record_access(action="search", object_type="person", request=request)
        assert log.incident_id is None

    def test_without_a_request_the_request_id_comes_from_the_context(self, db):
        token = request_id_var.set("ctx-request-42")
        try:
            log = a_log()
        finally:
            request_id_var.reset(token)
        assert AccessLog.objects.get(pk=log.pk).request_id == "ctx-request-42"

    def test_a_failed_login_is_recorded_under_the_given_username_without_a_user(self, db):
        log = a_log(action="login_failed", object_type="user", username="mallory")
        log.refresh_from_db()
        assert (log.user, log.username, log.agency, log.role) == (None, "mallory", None, "")


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
class TestDatabaseTrigger:
    def test_postgresql_refuses_raw_update_and_delete_of_logs(self):
        log = a_log(object_ids=["p1"])
        with connection.cursor() as cursor:
            with pytest.raises(DatabaseError, match="append-only"):
                cursor.execute("UPDATE audit_accesslog SET reason = %s WHERE id = %s", ["tampered", log.pk])
            with pytest.raises(DatabaseError, match="append-only"):
                cursor.execute("DELETE FROM audit_accesslog WHERE id = %s", [log.pk])
            cursor.execute("SELECT reason FROM audit_accesslog WHERE id = %s", [log.pk])
            assert cursor.fetchone() == ("",)

    def test_postgresql_refuses_raw_update_and_delete_of_accessed_people(self):
        log = a_log(person_ids=[uuid.uuid4()])
        with connection.cursor() as cursor:
            with pytest.raises(DatabaseError, match="append-only"):
                cursor.execute("UPDATE audit_accessedperson SET person_id = %s", [uuid.uuid4()])
            with pytest.raises(DatabaseError, match="append-only"):
                cursor.execute("DELETE FROM audit_accessedperson WHERE log_id = %s", [log.pk])
            cursor.execute("SELECT count(*) FROM audit_accessedperson WHERE log_id = %s", [log.pk])
            assert cursor.fetchone() == (1,)
