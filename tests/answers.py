"""What the API answered, read the way tests check it."""


def errors(response, status=400) -> dict:
    """{attr: error} of a response in the one error shape, after checking its status."""
    assert response.status_code == status, response.content
    return {e["attr"]: e for e in response.json()["errors"]}
