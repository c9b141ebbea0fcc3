// Forms with data-confirm="question" ask before they are sent. Kept out of the templates so
// the Content-Security-Policy can forbid inline script (docs/security.md).
document.addEventListener("submit", (event) => {
  const form = event.target;
  const question = form instanceof HTMLFormElement ? form.dataset.confirm : undefined;
  if (question && !window.confirm(question)) {
    event.preventDefault();
  }
});
