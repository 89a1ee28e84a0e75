// Tags.

const setupTags = async () => {
  const form = $('#tag-form');
  const table = $('#tag-table');
  const summary = $('#tags-summary');
  const errorBox = $('#tags-error');

  const editor = (tag, row) => {
    const id = nextId('tag');
    const editForm = h('form', { class: 'form inline-form row-edit', novalidate: true }, [
      h('div', { class: 'form-error', role: 'alert', hidden: true }),
      ...[
        ['name', 'Name', tag.name],
        ['slug', 'Slug', tag.slug],
        ['description', 'Description', tag.description],
      ].map(([name, label, value]) =>
        h('div', { class: 'field' }, [
          h('label', { for: id + '-' + name, text: label }),
          h('input', {
            id: id + '-' + name,
            name,
            type: 'text',
            value,
            'aria-describedby': id + '-' + name + '-error',
          }),
          h('p', { class: 'field-error', id: id + '-' + name + '-error', hidden: true }),
        ]),
      ),
      h('div', { class: 'row' }, [
        h('button', { type: 'submit', class: 'button primary', text: 'Save' }),
        h('button', {
          type: 'button',
          class: 'button',
          text: 'Cancel',
          onclick: () => {
            editForm.remove();
            $('.edit-button', row).focus();
          },
        }),
      ]),
    ]);
    editForm.addEventListener('submit', async (event) => {
      event.preventDefault();
      clearErrors(editForm);
      const payload = {
        name: field(editForm, 'name').value.trim(),
        slug: field(editForm, 'slug').value.trim(),
        description: field(editForm, 'description').value.trim(),
      };
      try {
        await api('PUT', '/tags/' + tag.id, payload);
      } catch (error) {
        showError(editForm, error);
        return;
      }
      toast('Tag “' + payload.name + '” saved.');
      await load();
    });
    return editForm;
  };

  const row = (tag) => {
    const li = h('li', {}, []);
    const main = h('div', { class: 'row-main' }, [
      h('div', { class: 'grow' }, [
        h('div', { class: 'row-title' }, [
          tag.name,
          tag.visibility === 'internal' ? ' ' : null,
          tag.visibility === 'internal' ? h('span', { class: 'badge badge-draft', text: 'Internal' }) : null,
        ]),
        h('div', {
          class: 'muted',
          text: '/tag/' + tag.slug + '/ · ' + plural(tag.post_count, 'post', 'posts') +
            (tag.description ? ' · ' + tag.description : ''),
        }),
      ]),
      h('div', { class: 'row-actions' }, [
        h('button', {
          type: 'button',
          class: 'button small edit-button',
          text: 'Edit',
          'aria-label': 'Edit tag ' + tag.name,
          onclick: () => {
            const open = $('form', li);
            if (open) {
              $('input', open).focus();
              return;
            }
            const form2 = editor(tag, li);
            li.append(form2);
            $('input', form2).focus();
          },
        }),
        h('button', {
          type: 'button',
          class: 'button small danger',
          text: 'Delete',
          'aria-label': 'Delete tag ' + tag.name,
          onclick: async () => {
            const sure = await confirmDialog(
              'Delete the tag “' + tag.name + '”?',
              'It is removed from ' + plural(tag.post_count, 'post', 'posts') + '. The posts stay.',
              'Delete',
            );
            if (!sure) {
              return;
            }
            try {
              await api('DELETE', '/tags/' + tag.id);
            } catch (error) {
              errorBox.textContent = error.message;
              errorBox.hidden = false;
              return;
            }
            toast('Tag “' + tag.name + '” deleted.');
            await load();
            field(form, 'name').focus();
          },
        }),
      ]),
    ]);
    li.append(main);
    return li;
  };

  const load = async () => {
    const tags = await api('GET', '/tags');
    errorBox.hidden = true;
    table.replaceChildren(...tags.map(row));
    summary.textContent = tags.length ? plural(tags.length, 'tag', 'tags') : 'No tags yet.';
  };

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    clearErrors(form);
    const payload = {
      name: field(form, 'name').value.trim(),
      description: field(form, 'description').value.trim(),
    };
    const slug = field(form, 'slug').value.trim();
    if (slug) {
      payload.slug = slug;
    }
    try {
      await busy($('button[type="submit"]', form), () => api('POST', '/tags', payload));
    } catch (error) {
      showError(form, error);
      return;
    }
    form.reset();
    toast('Tag “' + payload.name + '” added.');
    await load();
    field(form, 'name').focus();
  });
  await load();
};
