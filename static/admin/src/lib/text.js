// Dates, counts, labels and slugs as the admin shows them.

const pad = (n) => String(n).padStart(2, '0');
const clock = (date) => date.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
const dateTime = (iso) =>
  iso ? new Date(iso).toLocaleString([], { dateStyle: 'medium', timeStyle: 'short' }) : '';
const dateOnly = (iso) => (iso ? new Date(iso).toLocaleDateString([], { dateStyle: 'medium' }) : '');
// <input type="datetime-local"> speaks the browser's local time, the API RFC 3339
const toLocalInput = (iso) => {
  if (!iso) {
    return '';
  }
  const d = new Date(iso);
  return (
    d.getFullYear() + '-' + pad(d.getMonth() + 1) + '-' + pad(d.getDate()) +
    'T' + pad(d.getHours()) + ':' + pad(d.getMinutes())
  );
};
const fromLocalInput = (value) => (value ? new Date(value).toISOString() : null);

const plural = (n, one, many) => n + ' ' + (n === 1 ? one : many);

const STATUS_LABELS = { draft: 'Draft', scheduled: 'Scheduled', published: 'Published' };
const ROLE_LABELS = {
  owner: 'Owner',
  administrator: 'Administrator',
  editor: 'Editor',
  author: 'Author',
  contributor: 'Contributor',
};

// Mirrors the server's Slug::from_title closely enough to show the URL as one types.
const RESERVED_SLUGS = [
  'admin', 'assets', 'content', 'page', 'tag', 'author', 'rss', 'feed', 'healthz', 'readyz',
  'metrics', 'sitemap', 'robots', 'api', 'p', 'favicon',
];
const slugify = (title) => {
  const base = title
    .replace(/&/g, ' and ')
    .replace(/[æÆ]/g, 'ae')
    .replace(/[œŒ]/g, 'oe')
    .replace(/ß/g, 'ss')
    .replace(/[øØ]/g, 'o')
    .replace(/[łŁ]/g, 'l')
    .replace(/[đĐ]/g, 'd')
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+/, '')
    .slice(0, 191)
    .replace(/-+$/, '');
  if (!base) {
    return 'untitled';
  }
  return RESERVED_SLUGS.includes(base) ? base + '-post' : base;
};
