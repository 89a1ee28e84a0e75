/* Quire default theme: progressive enhancements. The page works without this file.
   Note: never use `this` here (the build-time minifier mishandles it); use closures
   and event.currentTarget instead. */
(() => {
  "use strict";

  const RESET_AFTER_MS = 2000;

  const canCopy = () =>
    Boolean(navigator.clipboard && typeof navigator.clipboard.writeText === "function" && window.isSecureContext);

  // One polite live region announces "Copied" to screen-reader users.
  const makeStatus = () => {
    const status = document.createElement("p");
    status.className = "visually-hidden";
    status.setAttribute("role", "status");
    document.body.appendChild(status);
    return status;
  };

  const addCopyButton = (code, status) => {
    const pre = code.parentElement;
    if (!pre || !pre.parentNode || pre.parentElement.classList.contains("code-block")) {
      return;
    }

    const wrapper = document.createElement("div");
    wrapper.className = "code-block";
    pre.parentNode.insertBefore(wrapper, pre);
    wrapper.appendChild(pre);

    const button = document.createElement("button");
    button.type = "button";
    button.className = "copy-button";
    button.textContent = "Copy";
    wrapper.appendChild(button);

    let timer = 0;
    const show = (label, announcement) => {
      button.textContent = label;
      status.textContent = announcement;
      window.clearTimeout(timer);
      timer = window.setTimeout(() => {
        button.textContent = "Copy";
        status.textContent = "";
      }, RESET_AFTER_MS);
    };

    button.addEventListener("click", () => {
      navigator.clipboard.writeText(code.textContent || "").then(
        () => show("Copied", "Code copied to clipboard"),
        () => show("Failed", "Could not copy the code")
      );
    });
  };

  const init = () => {
    if (!canCopy()) {
      return;
    }
    const blocks = document.querySelectorAll("pre > code");
    if (blocks.length === 0) {
      return;
    }
    const status = makeStatus();
    blocks.forEach((code) => addCopyButton(code, status));
  };

  // the script is deferred: the document is parsed by the time it runs
  init();
})();
