import pytest

from ooh.accounts.models import Device
from tests.personas import client_for


@pytest.mark.django_db
class TestDevices:
    def test_register_list_and_remove_a_device(self, alice_client, alice):
        response = alice_client.post(
            "/api/v1/devices/", {"platform": "fcm", "push_token": "tok-1", "name": "Pixel"}
        )
        assert response.status_code == 201
        device_id = response.json()["id"]
        assert "push_token" not in response.json(), "push tokens are write-only"
        listed = alice_client.get("/api/v1/devices/").json()["results"]
        assert [d["id"] for d in listed] == [device_id]
        assert alice_client.delete(f"/api/v1/devices/{device_id}/").status_code == 204
        assert not Device.objects.exists()

    def test_re_registering_your_own_push_token_is_200_and_updates_it(self, alice_client, alice):
        alice_client.post("/api/v1/devices/", {"platform": "apns", "push_token": "tok", "name": "old"})
        response = alice_client.post(
            "/api/v1/devices/", {"platform": "apns", "push_token": "tok", "name": "new"}
        )
        assert response.status_code == 200
        device = Device.objects.get()
        assert (device.user, device.name) == (alice, "new")

    def test_taking_another_users_push_token_is_refused_so_their_phone_keeps_its_alerts(
        self, alice_client, alice, bob
    ):
        alice_client.post("/api/v1/devices/", {"platform": "apns", "push_token": "tok", "name": "Alice's"})
        response = client_for(bob).post(
            "/api/v1/devices/", {"platform": "apns", "push_token": "tok", "name": "taken"}
        )
        assert response.status_code == 409
        body = response.json()
        assert body["type"] == "client_error"
        assert body["errors"][0]["code"] == "push_token_taken"
        assert "another user" in body["errors"][0]["detail"]
        device = Device.objects.get()
        assert (device.user, device.name, device.active) == (alice, "Alice's", True)

    def test_the_same_token_on_another_platform_is_another_device(self, alice_client, bob):
        alice_client.post("/api/v1/devices/", {"platform": "apns", "push_token": "tok", "name": "a"})
        response = client_for(bob).post(
            "/api/v1/devices/", {"platform": "fcm", "push_token": "tok", "name": "b"}
        )
        assert response.status_code == 201

    def test_a_push_token_no_one_receives_on_moves_to_the_new_user(self, alice_client, alice, bob, amy):
        """A phone that changed hands: its old user was made inactive, or the token was switched off."""
        alice_client.post("/api/v1/devices/", {"platform": "apns", "push_token": "tok", "name": "old"})
        alice.is_active = False
        alice.save()
        assert (
            client_for(bob)
            .post("/api/v1/devices/", {"platform": "apns", "push_token": "tok", "name": "new"})
            .status_code
            == 200
        )
        assert Device.objects.get().user == bob
        Device.objects.update(active=False)
        assert (
            client_for(amy)
            .post("/api/v1/devices/", {"platform": "apns", "push_token": "tok", "name": "amy's"})
            .status_code
            == 200
        )
        device = Device.objects.get()
        assert (device.user, device.active) == (amy, True)

    def test_someone_elses_device_is_not_found(self, alice_client, bob):
        other = (
            client_for(bob)
            .post("/api/v1/devices/", {"platform": "fcm", "push_token": "b", "name": "b"})
            .json()
        )
        assert alice_client.delete(f"/api/v1/devices/{other['id']}/").status_code == 404

    def test_missing_push_token_is_400_naming_it(self, alice_client):
        response = alice_client.post("/api/v1/devices/", {"platform": "fcm", "name": "x"})
        assert response.status_code == 400
        assert response.json()["errors"][0]["attr"] == "push_token"
