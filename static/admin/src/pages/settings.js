// Settings, and the integrations that hold API keys.

const setupIntegrations = async () => {
  const form = $('#integration-form');
  const list = $('#integration-list');
  const remove = async (integration, button) => {
    const sure = await confirmDialog(
      'Delete the integration ' + integration.name + '?',
      'Its Content API and Admin API keys stop working at once, for every tool that uses them.',
      'Delete',
    );
    if (!sure) {
      return;
    }
    try {
      await busy(button, () => api('DELETE', '/integrations/' + integration.id));
    } catch (error) {
      showError(form, error);
      return;
    }
    toast('The integration ' + integration.name + ' is deleted; its keys no longer work.');
    await load();
  };
  const row = (integration) =>
    h('li', {}, [
      h('div', { class: 'row-main' }, [
        h('div', { class: 'grow' }, [
          h('div', { class: 'row-title', text: integration.name }),
          h('div', {
            class: 'muted',
            text:
              'Content API key ' + integration.content_key + ' · Admin API key ' + integration.admin_key_id +
              ':… · added' + (integration.created_by ? ' by ' + integration.created_by : '') + ' ' +
              dateTime(integration.created_at),
          }),
        ]),
        h('div', { class: 'row-actions' }, [
          h('button', {
            type: 'button',
            class: 'button small danger',
            text: 'Delete',
            'aria-label': 'Delete the integration ' + integration.name,
            onclick: (event) => remove(integration, event.currentTarget),
          }),
        ]),
      ]),
    ]);
  const load = async () => {
    const integrations = await api('GET', '/integrations');
    list.replaceChildren(...integrations.map(row));
    $('#integrations-summary').textContent = integrations.length
      ? plural(integrations.length, 'integration', 'integrations')
      : 'No integration yet.';
  };
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    clearErrors(form);
    let made = null;
    try {
      made = await busy($('button[type="submit"]', form), () =>
        api('POST', '/integrations', { name: field(form, 'name').value.trim() }),
      );
    } catch (error) {
      showError(form, error);
      return;
    }
    form.reset();
    $('#integration-result-text').textContent = 'Added ' + made.name + '. Its keys:';
    $('#integration-content-key').value = made.content_key;
    $('#integration-admin-key').value = made.admin_key;
    $('#integration-result').hidden = false;
    $('#integration-admin-key').focus();
    $('#integration-admin-key').select();
    await load();
  });
  $('#copy-content-key').addEventListener('click', () =>
    copyText($('#integration-content-key').value, $('#integration-content-key')),
  );
  $('#copy-admin-key').addEventListener('click', () =>
    copyText($('#integration-admin-key').value, $('#integration-admin-key')),
  );
  await load();
};

const setupSettings = async () => {
  await setupIntegrations();
  const form = $('#settings-form');
  const rows = $('#nav-rows');
  const accent = $('#set-accent');
  const picker = $('#set-accent-picker');

  const fullHex = (value) =>
    /^#[0-9a-fA-F]{3}$/.test(value)
      ? '#' + value.slice(1).split('').map((c) => c + c).join('')
      : value;

  const navRow = (item) => {
    const id = nextId('nav');
    const li = h('li', { class: 'nav-row' }, []);
    const labelInput = h('input', { id: id + '-label', type: 'text', value: item.label, class: 'nav-label' });
    const urlInput = h('input', { id: id + '-url', type: 'text', value: item.url, class: 'nav-url', inputmode: 'url', spellcheck: 'false' });
    const describe = () => labelInput.value.trim() || 'this item';
    const move = (delta) => {
      const sibling = delta < 0 ? li.previousElementSibling : li.nextElementSibling;
      if (!sibling) {
        return;
      }
      if (delta < 0) {
        rows.insertBefore(li, sibling);
      }
      if (delta > 0) {
        rows.insertBefore(sibling, li);
      }
    };
    li.append(
      h('div', { class: 'field' }, [h('label', { for: id + '-label', text: 'Label' }), labelInput]),
      h('div', { class: 'field' }, [h('label', { for: id + '-url', text: 'URL' }), urlInput]),
      h('div', { class: 'row-actions' }, [
        h('button', {
          type: 'button',
          class: 'button small',
          text: '↑',
          onclick: (event) => {
            move(-1);
            event.currentTarget.focus();
          },
          'aria-label': 'Move up',
        }),
        h('button', {
          type: 'button',
          class: 'button small',
          text: '↓',
          onclick: (event) => {
            move(1);
            event.currentTarget.focus();
          },
          'aria-label': 'Move down',
        }),
        h('button', {
          type: 'button',
          class: 'button small danger',
          text: 'Remove',
          onclick: () => {
            const next = li.nextElementSibling || li.previousElementSibling;
            li.remove();
            toast('Removed “' + describe() + '” from the menu (not saved yet).');
            (next ? $('input', next) : $('#nav-add')).focus();
          },
        }),
      ]),
    );
    return li;
  };

  const settings = await api('GET', '/settings');
  field(form, 'title').value = settings.title;
  field(form, 'description').value = settings.description;
  accent.value = settings.accent_color;
  picker.value = fullHex(settings.accent_color);
  field(form, 'logo').value = settings.logo || '';
  // the logo is saved with the rest of the settings, by "Save settings"
  setupImageField($('.image-upload', form), () => undefined)();
  field(form, 'posts_per_page').value = settings.posts_per_page;
  field(form, 'posts_per_page').min = 1;
  field(form, 'posts_per_page').max = 100;
  field(form, 'timezone').value = settings.timezone;
  field(form, 'codeinjection_head').value = settings.codeinjection_head;
  field(form, 'codeinjection_foot').value = settings.codeinjection_foot;
  rows.replaceChildren(...settings.navigation.map(navRow));
  const zones = typeof Intl.supportedValuesOf === 'function' ? Intl.supportedValuesOf('timeZone') : [];
  $('#timezones').replaceChildren(...['Etc/UTC'].concat(zones).map((zone) => h('option', { value: zone })));

  picker.addEventListener('input', () => {
    accent.value = picker.value;
  });
  accent.addEventListener('input', () => {
    if (/^#[0-9a-fA-F]{3}([0-9a-fA-F]{3})?$/.test(accent.value.trim())) {
      picker.value = fullHex(accent.value.trim());
    }
  });
  $('#nav-add').addEventListener('click', () => {
    const li = navRow({ label: '', url: '' });
    rows.append(li);
    $('input', li).focus();
  });

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    clearErrors(form);
    const timezone = field(form, 'timezone').value.trim();
    try {
      new Intl.DateTimeFormat('en', { timeZone: timezone }).format();
    } catch (e) {
      showError(form, failure(422, 'Choose a time zone from the list, such as Europe/Paris.', 'timezone'));
      return;
    }
    const navigation = $$('.nav-row', rows)
      .map((li) => ({ label: $('.nav-label', li).value.trim(), url: $('.nav-url', li).value.trim() }))
      .filter((item) => item.label || item.url);
    if (navigation.some((item) => !item.label || !item.url)) {
      showError(form, failure(422, 'Each menu item needs a label and a URL.', 'navigation'));
      return;
    }
    const payload = {
      title: field(form, 'title').value.trim(),
      description: field(form, 'description').value.trim(),
      accent_color: accent.value.trim(),
      logo: field(form, 'logo').value.trim(),
      posts_per_page: parseInt(field(form, 'posts_per_page').value, 10),
      timezone,
      navigation,
      codeinjection_head: field(form, 'codeinjection_head').value,
      codeinjection_foot: field(form, 'codeinjection_foot').value,
    };
    try {
      await busy($('button[type="submit"]', form), () => api('PUT', '/settings', payload));
    } catch (error) {
      showError(form, error);
      return;
    }
    toast('Settings saved. Every page of the site shows them now.');
  });
};
