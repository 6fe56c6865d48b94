import { api, ApiError } from "./api.js";

const form = document.getElementById("sign-in");
const error = document.getElementById("sign-in-error");

form.addEventListener("submit", async (event) => {
  event.preventDefault();
  error.hidden = true;
  const button = form.querySelector("button");
  button.disabled = true;
  try {
    await api("auth/browser-login/", {
      method: "POST",
      body: { username: form.username.value.trim(), password: form.password.value },
    });
    location.assign(form.dataset.next || "/board/");
  } catch (failure) {
    error.textContent =
      failure instanceof ApiError && failure.status === 401
        ? "Wrong username or password."
        : failure.message || "Could not sign in; try again.";
    error.hidden = false;
    form.password.value = "";
    form.password.focus();
  } finally {
    button.disabled = false;
  }
});
