import pytest

from ooh.accounts.models import Device
from tests.conftest import client_for


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

    def test_registering_the_same_token_again_updates_and_moves_it(self, alice_client, bob):
        alice_client.post("/api/v1/devices/", {"platform": "apns", "push_token": "tok", "name": "old"})
        response = client_for(bob).post(
            "/api/v1/devices/", {"platform": "apns", "push_token": "tok", "name": "new"}
        )
        assert response.status_code == 200
        device = Device.objects.get()
        assert (device.user, device.name) == (bob, "new")

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
