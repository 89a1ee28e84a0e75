// The inputs: the title and the slug that follows it, the text, the settings panel's fields,
// tags, and the write and preview views.

const editorInputs = (ed) => {
  const { canPublish, el, state, changed, refreshPreview } = ed;
  const { setPanel, showEditorError, renderSlugHint, renderTags } = ed;
  let previewTimer = null;

  el.title.addEventListener('input', () => {
    if (state.slugAuto) {
      el.slug.value = el.title.value.trim() ? slugify(el.title.value) : '';
    }
    changed();
  });
  el.title.addEventListener('keydown', (event) => {
    if (event.key === 'Enter') {
      event.preventDefault();
      el.markdown.focus();
    }
  });
  el.markdown.addEventListener('input', () => {
    clearTimeout(previewTimer);
    previewTimer = setTimeout(refreshPreview, 300);
    changed();
  });

  el.slug.addEventListener('input', () => {
    state.slugAuto = el.slug.value.trim() === '';
    renderSlugHint();
    changed();
  });
  el.publishedAt.addEventListener('input', () => {
    state.dateTouched = true;
    changed();
  });
  [
    el.excerpt,
    el.featureImage,
    el.featureImageAlt,
    el.featureImageCaption,
    el.metaTitle,
    el.metaDescription,
    el.canonicalUrl,
  ].forEach((input) => input.addEventListener('input', changed));
  el.featured.addEventListener('change', changed);

  const addTag = (raw) => {
    const name = raw.replace(/,/g, ' ').trim();
    if (!name) {
      return;
    }
    const known = state.knownTags.find((t) => t.name.toLowerCase() === name.toLowerCase());
    const chosen = known ? known.name : name;
    el.tagInput.value = '';
    if (state.tags.some((t) => t.toLowerCase() === chosen.toLowerCase())) {
      return;
    }
    if (!known && !canPublish) {
      showEditorError(failure(403, 'Contributors can pick existing tags only.', 'tags'), true);
      return;
    }
    state.tags.push(chosen);
    renderTags();
    changed();
  };
  el.tagInput.addEventListener('keydown', (event) => {
    if (event.key === 'Enter' || event.key === ',') {
      event.preventDefault();
      addTag(el.tagInput.value);
      return;
    }
    if (event.key === 'Backspace' && el.tagInput.value === '' && state.tags.length) {
      state.tags.pop();
      renderTags();
      changed();
    }
  });
  // picking a suggestion from the list adds it at once
  el.tagInput.addEventListener('input', (event) => {
    const exact = state.knownTags.some((t) => t.name === el.tagInput.value);
    if (exact && (!event.inputType || event.inputType === 'insertReplacementText')) {
      addTag(el.tagInput.value);
    }
  });

  // Markdown shortcuts. Text goes in through the browser's editing command, so that Undo
  // takes it back; where that is missing, it is set directly and announced as input.
  const area = el.markdown;
  const insert = (text) => {
    if (!document.execCommand('insertText', false, text)) {
      area.setRangeText(text, area.selectionStart, area.selectionEnd, 'end');
      area.dispatchEvent(new Event('input'));
    }
  };
  // Ctrl/Cmd+B and I: wrap the selection in markers, or take them off when already there.
  const wrap = (marker, placeholder) => {
    const start = area.selectionStart;
    const end = area.selectionEnd;
    const selected = area.value.slice(start, end);
    const m = marker.length;
    const inside = area.value.slice(start - m, start) === marker && area.value.slice(end, end + m) === marker;
    if (inside) {
      area.setSelectionRange(start - m, end + m);
      insert(selected);
      area.setSelectionRange(start - m, end - m);
      return;
    }
    const text = selected || placeholder;
    insert(marker + text + marker);
    area.setSelectionRange(start + m, start + m + text.length);
  };
  // Ctrl/Cmd+K: a link around the selection with its address selected, or around an address.
  const link = () => {
    const start = area.selectionStart;
    const selected = area.value.slice(start, area.selectionEnd);
    if (/^https?:\/\/\S+$/.test(selected)) {
      insert('[](' + selected + ')');
      area.setSelectionRange(start + 1, start + 1);
      return;
    }
    const text = selected || 'link text';
    insert('[' + text + '](https://)');
    const address = start + text.length + 3;
    area.setSelectionRange(address, address + 'https://'.length);
  };
  // Tab and Shift+Tab in a list item: indent or outdent the selected lines by the width of
  // the item's marker. Elsewhere Tab moves the focus, as everywhere on the page.
  const LIST_ITEM = /^(\s*)([-*+]|\d{1,9}[.)])(\s+)/;
  const indent = (outdent) => {
    const value = area.value;
    const from = value.lastIndexOf('\n', area.selectionStart - 1) + 1;
    const next = value.indexOf('\n', Math.max(area.selectionEnd - (area.selectionEnd > area.selectionStart ? 1 : 0), from));
    const to = next < 0 ? value.length : next;
    const item = LIST_ITEM.exec(value.slice(from, to));
    if (!item) {
      return false;
    }
    const width = item[2].length + Math.min(item[3].length, 4);
    const pad = ' '.repeat(width);
    const lines = value.slice(from, to).split('\n');
    const changedLines = lines.map((line) => {
      if (!outdent) {
        return pad + line;
      }
      const leading = /^ */.exec(line)[0].length;
      return line.slice(Math.min(leading, width));
    });
    const block = changedLines.join('\n');
    if (block === lines.join('\n')) {
      return true;
    }
    const cursorShift = changedLines[0].length - lines[0].length;
    const wasCollapsed = area.selectionStart === area.selectionEnd;
    const cursor = Math.max(from, area.selectionStart + cursorShift);
    area.setSelectionRange(from, to);
    insert(block);
    if (wasCollapsed) {
      area.setSelectionRange(cursor, cursor);
      return true;
    }
    area.setSelectionRange(from, from + block.length);
    return true;
  };
  area.addEventListener('keydown', (event) => {
    const mod = (event.ctrlKey || event.metaKey) && !event.altKey && !event.shiftKey;
    const key = event.key.toLowerCase();
    if (mod && key === 'b') {
      event.preventDefault();
      wrap('**', 'bold text');
      return;
    }
    if (mod && key === 'i') {
      event.preventDefault();
      wrap('_', 'italic text');
      return;
    }
    if (mod && key === 'k') {
      event.preventDefault();
      link();
      return;
    }
    if (event.key === 'Tab' && !event.ctrlKey && !event.metaKey && !event.altKey && indent(event.shiftKey)) {
      event.preventDefault();
    }
  });

  // Esc closes the settings panel (a dialog on top closes first, by itself).
  document.addEventListener('keydown', (event) => {
    if (event.key !== 'Escape' || event.defaultPrevented || el.settings.hidden || $('dialog[open]')) {
      return;
    }
    setPanel(false);
    el.settingsToggle.focus();
  });

  el.settingsToggle.addEventListener('click', () => {
    const open = el.settings.hidden;
    setPanel(open);
    if (open) {
      el.slug.focus();
    }
  });

  const setView = (view) => {
    $('#panes').dataset.view = view;
    $('#show-write').setAttribute('aria-pressed', String(view === 'write'));
    $('#show-preview').setAttribute('aria-pressed', String(view === 'preview'));
  };
  $('#show-write').addEventListener('click', () => setView('write'));
  $('#show-preview').addEventListener('click', () => {
    setView('preview');
    refreshPreview();
  });
};
