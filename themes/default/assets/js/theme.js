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

  // The header's search form suggests posts as you type (from /search.json); the form still
  // submits to /search/ as without this script.
  const SUGGEST_AFTER_MS = 200;
  const suggestions = (form) => {
    const input = form.querySelector("input[name=\"q\"]");
    if (!input || typeof window.fetch !== "function") {
      return;
    }
    const list = document.createElement("ul");
    list.className = "search-suggestions";
    list.hidden = true;
    list.setAttribute("aria-label", "Suggested posts");
    const status = makeStatus();
    form.appendChild(list);
    let timer = 0;
    let latest = 0;
    const close = () => {
      list.hidden = true;
      list.replaceChildren();
    };
    const item = (result) => {
      const li = document.createElement("li");
      const link = document.createElement("a");
      link.href = result.url;
      link.textContent = result.title;
      li.appendChild(link);
      return li;
    };
    const suggest = async (q) => {
      latest += 1;
      const mine = latest;
      const response = await fetch("/search.json?q=" + encodeURIComponent(q));
      if (!response.ok) {
        return;
      }
      const data = await response.json();
      if (mine !== latest) {
        return;
      }
      list.replaceChildren(...data.results.map(item));
      list.hidden = data.results.length === 0;
      status.textContent = data.results.length === 0 ? "No suggestions" : data.results.length + " suggestions below";
    };
    input.addEventListener("input", () => {
      window.clearTimeout(timer);
      const q = input.value.trim();
      if (q.length < 2) {
        close();
        return;
      }
      // a failed suggestion changes nothing: the form still searches
      timer = window.setTimeout(() => suggest(q).catch(() => undefined), SUGGEST_AFTER_MS);
    });
    form.addEventListener("keydown", (event) => {
      // the first Escape closes the list and keeps the text (a search field's own Escape
      // would clear it); the next one is the field's
      if (event.key === "Escape" && !list.hidden) {
        event.preventDefault();
        close();
        input.focus();
      }
    });
    document.addEventListener("click", (event) => {
      if (!form.contains(event.target)) {
        close();
      }
    });
  };

  const init = () => {
    document.querySelectorAll("form.site-search").forEach(suggestions);
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
