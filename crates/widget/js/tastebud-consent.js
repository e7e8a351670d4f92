// The consent signals a page may carry, read for `consent="auto"` (README, "Consent and the
// law"), by the widget and by the storefront alike. Each decision is reported as it comes:
// `decide(granted, source)`.
//
// - Global Privacy Control (`navigator.globalPrivacyControl`): a standing refusal; when it is on,
//   nothing else is read.
// - Google Consent Mode v2: `gtag('consent', 'default' | 'update', { personalization_storage })`,
//   read from `dataLayer`, past entries and later ones.
// - IAB TCF v2.2 (`__tcfapi`): consent to purposes 1 (store and access information on a device),
//   5 and 6 (create and use a personalised-content profile), or GDPR not applying.
// - Shopify's Customer Privacy API: the visitor's `preferences` consent.

/** Starts reading the page's consent signals; returns which ones were found. */
export function watchConsent(decide) {
  if (navigator.globalPrivacyControl === true) {
    decide(false, 'gpc');
    return ['gpc'];
  }
  const found = [];
  if (watchGtag(decide)) found.push('gcm');
  if (watchTcf(decide)) found.push('tcf');
  if (watchShopify(decide)) found.push('shopify');
  return found;
}

/** Google Consent Mode: `gtag` pushes `arguments` objects onto `dataLayer`. Entries already
 * there are read in order; later pushes are seen through a wrapped `push` (Google's tag, which
 * replaces `push` later, calls the one it found, so it still passes through). A `default` that
 * denies is not yet the visitor's answer (nothing is erased; the banner's `update` decides), and
 * a region-scoped entry is skipped, as this page cannot tell the visitor's region. */
function watchGtag(decide) {
  const read = (entry) => {
    if (!entry || typeof entry !== 'object' || entry[0] !== 'consent') return;
    const settings = entry[2];
    const state = settings?.personalization_storage;
    if ((state !== 'granted' && state !== 'denied') || settings.region) return;
    if (entry[1] === 'default' && state === 'denied') return;
    decide(state === 'granted', 'gcm');
  };
  const layer = window.dataLayer;
  if (!Array.isArray(layer)) return false;
  for (const entry of Array.from(layer)) read(entry);
  const push = layer.push;
  if (!push.tastebud) {
    const watched = function (...entries) {
      const result = push.apply(this, entries);
      entries.forEach(read);
      return result;
    };
    watched.tastebud = true;
    layer.push = watched;
  }
  return true;
}

/** IAB TCF v2.2: the CMP calls back when its data loads and after each choice. */
function watchTcf(decide) {
  if (typeof window.__tcfapi !== 'function') return false;
  window.__tcfapi('addEventListener', 2, (tc, ok) => {
    if (!ok || !tc || !['tcloaded', 'useractioncomplete'].includes(tc.eventStatus)) return;
    if (tc.gdprApplies === false) {
      decide(true, 'tcf');
      return;
    }
    // The purposes' consents, or the publisher's own (a shop's first-party processing).
    const given = (n) => Boolean(tc.purpose?.consents?.[n] || tc.publisher?.consents?.[n]);
    decide(given(1) && given(5) && given(6), 'tcf');
  });
  return true;
}

/** Shopify's Customer Privacy API: the current consent, and each one the banner collects. */
function watchShopify(decide) {
  const shopify = window.Shopify;
  if (!shopify?.customerPrivacy && typeof shopify?.loadFeatures !== 'function') return false;
  const read = () => {
    const preferences = shopify.customerPrivacy?.currentVisitorConsent?.()?.preferences;
    if (preferences === 'yes' || preferences === 'no') decide(preferences === 'yes', 'shopify');
  };
  document.addEventListener('visitorConsentCollected', (e) => {
    if (typeof e.detail?.preferencesAllowed === 'boolean') decide(e.detail.preferencesAllowed, 'shopify');
  });
  if (shopify.customerPrivacy) read();
  else shopify.loadFeatures([{ name: 'consent-tracking-api', version: '0.1' }], (error) => error || read());
  return true;
}
