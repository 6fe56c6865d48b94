"""How a refused request reads: one error shape, one code, naming the field."""

MIB = 1024 * 1024
PEOPLE = "/api/v1/people/"
# Control rooms state why they search (API.md "Who may see"); the header is harmless elsewhere.
PURPOSE = {"HTTP_X_ACCESS_REASON": "Checking the limits of search"}


def refusal(response, status, code, attr=None):
    """The refusal's detail, after checking it is the one error of its code (for `attr`, if given)."""
    assert response.status_code == status, response.content
    body = response.json()
    assert body["type"] == ("validation_error" if attr else "client_error")
    assert [(e["code"], e["attr"]) for e in body["errors"]] == [(code, attr)]
    return body["errors"][0]["detail"]
