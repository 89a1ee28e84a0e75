// The media library.

const setupMedia = async () => {
  const grid = $('#media-grid');
  const summary = $('#media-summary');
  const errorBox = $('#media-error');
  const status = $('#media-upload-status');
  const uploadButton = $('#media-upload-button');
  const mayDelete = ['owner', 'administrator', 'editor'].includes(body.dataset.role);

  const fail = (error) => {
    errorBox.textContent = error.message;
    errorBox.hidden = false;
  };

  // The smallest variant is plenty for a thumbnail; GIFs and small images have none.
  const thumbnail = (image) => (image.variants.length ? image.variants[0].url : image.url);
  const typeName = (type) => (type.split('/')[1] || type).toUpperCase();

  const card = (image, index) => {
    const id = nextId('media');
    const name = 'image ' + (index + 1);
    const urlInput = h('input', { id: id + '-url', type: 'text', readonly: true, value: image.url, 'aria-label': 'URL of ' + name });
    const copy = h('button', {
      type: 'button',
      class: 'button small copy-url',
      'aria-describedby': id + '-url',
      text: 'Copy URL',
      onclick: async () => {
        if (await copyText(image.url, urlInput)) {
          copy.textContent = 'Copied';
          setTimeout(() => {
            copy.textContent = 'Copy URL';
          }, 2000);
        }
      },
    });
    const remove = mayDelete && !image.used
      ? h('button', {
        type: 'button',
        class: 'button small danger delete-image',
        'aria-label': 'Delete ' + name,
        text: 'Delete',
        onclick: async () => {
          const sure = await confirmDialog(
            'Delete this image?',
            'It is removed from storage for good. Nothing uses it now.',
            'Delete image',
          );
          if (!sure) {
            return;
          }
          errorBox.hidden = true;
          try {
            await busy(remove, () => api('DELETE', '/images/' + image.id));
          } catch (error) {
            fail(error);
            await load();
            return;
          }
          toast('Image deleted.');
          await load();
          uploadButton.focus();
        },
      })
      : null;
    const dimensions = image.width && image.height ? image.width + ' × ' + image.height : '';
    return h('li', { class: 'media-card', 'data-id': image.id, 'data-url': image.url }, [
      h('a', { class: 'media-thumb', href: image.url, target: '_blank', rel: 'noopener' }, [
        h('img', { src: thumbnail(image), alt: '', loading: 'lazy', width: image.width || null, height: image.height || null }),
        h('span', { class: 'visually-hidden', text: 'Open ' + name + ' (opens in a new tab)' }),
      ]),
      h('p', { class: 'media-facts' }, [
        h('span', { text: [dimensions, formatBytes(image.bytes), typeName(image.content_type)].filter(Boolean).join(' · ') }),
        h('span', { class: image.used ? 'badge badge-published' : 'badge badge-draft', text: image.used ? 'Used' : 'Unused' }),
      ]),
      h('div', { class: 'copy-row' }, [urlInput, copy]),
      remove ? h('div', { class: 'row' }, [remove]) : null,
    ]);
  };

  const load = async () => {
    const images = await api('GET', '/images');
    grid.replaceChildren(...images.map(card));
    const unused = images.filter((image) => !image.used).length;
    summary.textContent = images.length
      ? plural(images.length, 'image', 'images') + ', ' + unused + ' unused.'
      : 'No images yet. Upload one, or add one in the editor.';
  };

  const upload = async (files) => {
    errorBox.hidden = true;
    let added = 0;
    const refused = [];
    await busy(uploadButton, async () => {
      for (const file of files) {
        status.textContent = 'Uploading ' + file.name + '…';
        try {
          await uploadImage(file);
          added += 1;
        } catch (error) {
          refused.push(file.name + ': ' + error.message);
        }
      }
    });
    status.textContent = added ? plural(added, 'image', 'images') + ' uploaded.' : '';
    if (refused.length) {
      fail(failure(0, refused.join(' ')));
    }
    await load();
  };
  filePicker(uploadButton, $('#media-file'), upload);
  dropTarget($('#media-drop'), upload);
  await load();
};
