// Forms and errors: field errors from the API, busy buttons, the confirm dialog, copying.

const clearErrors = (root) => {
  $$('[aria-invalid="true"]', root).forEach((el) => el.removeAttribute('aria-invalid'));
  $$('.field-error, .form-error', root).forEach((el) => {
    el.textContent = '';
    el.hidden = true;
  });
};

// Marks `input` invalid and shows `message` in its own error line (`ID-error`), if it has one.
const markInvalid = (input, message) => {
  input.setAttribute('aria-invalid', 'true');
  const fieldError = document.getElementById(input.id + '-error');
  if (fieldError) {
    fieldError.textContent = message;
    fieldError.hidden = false;
  }
};

// Shows an API error in the form's alert, and on the field it names when there is one
// (`inputFor` maps the API's field name to an input; by default the input of that name).
const showError = (root, error, inputFor) => {
  const lookup = inputFor || ((name) => root.querySelector('[name="' + name + '"]'));
  const input = error.field ? lookup(error.field) : null;
  const alert = $('.form-error', root);
  if (alert) {
    alert.textContent = error.message;
    alert.hidden = false;
  }
  if (!input) {
    return;
  }
  markInvalid(input, error.message);
  input.focus();
};

// Runs `work` with `button` disabled, so a double click sends one request.
const busy = async (button, work) => {
  if (button) {
    button.disabled = true;
    button.setAttribute('aria-busy', 'true');
  }
  try {
    return await work();
  } finally {
    if (button) {
      button.disabled = false;
      button.removeAttribute('aria-busy');
    }
  }
};

// A modal question answered true or false. The native dialog keeps focus inside and
// closes on Escape; focus goes back where it was.
const confirmDialog = (title, message, okLabel) =>
  new Promise((resolve) => {
    const dialog = $('#confirm-dialog');
    const ok = $('#confirm-ok');
    const cancel = $('#confirm-cancel');
    const opener = document.activeElement;
    $('#confirm-title').textContent = title;
    $('#confirm-message').textContent = message;
    ok.textContent = okLabel || 'Confirm';
    let finish = null;
    const onOk = () => finish(true);
    const onCancel = () => finish(false);
    finish = (answer) => {
      ok.removeEventListener('click', onOk);
      cancel.removeEventListener('click', onCancel);
      dialog.removeEventListener('close', onCancel);
      if (dialog.open) {
        dialog.close();
      }
      if (opener && opener.focus) {
        opener.focus();
      }
      resolve(answer);
    };
    ok.addEventListener('click', onOk);
    cancel.addEventListener('click', onCancel);
    dialog.addEventListener('close', onCancel);
    dialog.showModal();
    cancel.focus();
  });

// The clipboard API needs a secure context; elsewhere the text is selected for Ctrl+C.
const copyText = async (text, fallbackInput) => {
  try {
    await navigator.clipboard.writeText(text);
    toast('Copied to the clipboard.');
    return true;
  } catch (e) {
    if (fallbackInput) {
      fallbackInput.focus();
      fallbackInput.select();
    }
    toast('Press Ctrl+C (or ⌘C) to copy the selected text.');
    return false;
  }
};
