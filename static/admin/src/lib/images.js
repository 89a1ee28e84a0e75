// Image uploads: the size limit, dropped and pasted files, file pickers, and the image URL
// field (feature image, logo).

const IMAGE_TYPES = ['image/png', 'image/jpeg', 'image/gif', 'image/webp'];
const uploadLimitMb = parseInt(body.dataset.uploadMaxMb || '0', 10);

const formatBytes = (n) => {
  if (n >= 1024 * 1024) {
    return (n / (1024 * 1024)).toFixed(1) + ' MB';
  }
  return n >= 1024 ? Math.round(n / 1024) + ' KB' : n + ' bytes';
};

// The alt text of an uploaded file: its name without the extension, and without the
// brackets that would end the Markdown image early.
const altFromName = (name) => (name || '').replace(/\.[^.]*$/, '').replace(/[[\]]/g, '').trim() || 'Image';

// Uploads one file; answers the API's image or throws its error. A file over the limit is
// refused here with the server's own words, without sending megabytes for nothing; the
// type is left to the server, which decides by content.
const uploadImage = (file) => {
  if (uploadLimitMb > 0 && file.size > uploadLimitMb * 1024 * 1024) {
    return Promise.reject(failure(413, 'The image is larger than the ' + uploadLimitMb + ' MiB limit.', 'file'));
  }
  const form = new FormData();
  form.append('file', file, file.name || 'image');
  return api('POST', '/images', form);
};

// The files a drag or a paste carries (none for dragged text).
const filesOf = (transfer) => (transfer && transfer.files ? Array.from(transfer.files) : []);
const carriesFiles = (transfer) => !!transfer && Array.from(transfer.types || []).includes('Files');

// Makes `zone` accept dropped files, handing them to `handle`.
const dropTarget = (zone, handle) => {
  zone.addEventListener('dragover', (event) => {
    if (!carriesFiles(event.dataTransfer)) {
      return;
    }
    event.preventDefault();
    event.dataTransfer.dropEffect = 'copy';
    zone.classList.add('dragging');
  });
  zone.addEventListener('dragleave', () => zone.classList.remove('dragging'));
  zone.addEventListener('drop', (event) => {
    zone.classList.remove('dragging');
    const files = filesOf(event.dataTransfer);
    if (!files.length) {
      return;
    }
    event.preventDefault();
    handle(files);
  });
};

// A button that opens a hidden file picker; the chosen files go to `handle`.
const filePicker = (button, input, handle) => {
  button.addEventListener('click', () => input.click());
  input.addEventListener('change', () => {
    const files = Array.from(input.files || []);
    input.value = '';
    if (files.length) {
      handle(files);
    }
  });
};

// The upload control of an image URL field (feature image, logo): fills the field, shows
// a preview, and clears it with "Remove". `changed` runs after the field changes.
const setupImageField = (box, changed) => {
  const input = document.getElementById(box.dataset.target);
  const preview = $('.image-upload-preview', box);
  const remove = $('.remove-button', box);
  const button = $('.upload-button', box);
  const status = $('.upload-status', box);
  const fieldError = document.getElementById(input.id + '-error');
  const clearFieldError = () => {
    input.removeAttribute('aria-invalid');
    if (fieldError) {
      fieldError.hidden = true;
      fieldError.textContent = '';
    }
  };
  const render = () => {
    const url = input.value.trim();
    preview.hidden = !url;
    remove.hidden = !url;
    if (url && preview.getAttribute('src') !== url) {
      preview.src = url;
    }
  };
  const upload = async (files) => {
    const file = files[0];
    clearFieldError();
    status.textContent = 'Uploading ' + file.name + '…';
    let image = null;
    try {
      image = await busy(button, () => uploadImage(file));
    } catch (error) {
      status.textContent = '';
      input.setAttribute('aria-invalid', 'true');
      if (fieldError) {
        fieldError.textContent = error.message;
        fieldError.hidden = false;
      }
      return;
    }
    input.value = image.url;
    render();
    status.textContent = 'Uploaded ' + file.name + '.';
    changed();
  };
  filePicker(button, $('.upload-file', box), upload);
  dropTarget(box, upload);
  remove.addEventListener('click', () => {
    input.value = '';
    clearFieldError();
    render();
    status.textContent = 'Removed.';
    button.focus();
    changed();
  });
  input.addEventListener('input', render);
  return render;
};
