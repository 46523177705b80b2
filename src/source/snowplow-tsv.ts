/**
 * Snowplow enriched events, as Enrich writes them to Kafka: one line of 131
 * tab-separated fields, by position. Read into an object of the populated
 * fields, typed, with contexts and the self-describing event keyed by their
 * schema, as Snowplow's Analytics SDKs (Python, Scala, .NET) shape them:
 * https://docs.snowplow.io/docs/fundamentals/canonical-event/. The JS SDK on
 * npm (snowplow-analytics-sdk 0.1.0, 2018) does the same but is unmaintained,
 * throws on the first bad field and builds its objects by reduce: read here
 * in one pass instead.
 */
import { dictionary } from '../dictionary.ts';

type FieldType = 'string' | 'int' | 'double' | 'bool' | 'tstamp' | 'contexts' | 'unstruct';
const S = 'string';
const I = 'int';
const D = 'double';
const B = 'bool';
const T = 'tstamp';

/** The enriched event's fields, in order (the canonical event model). */
export const ENRICHED_FIELDS: readonly (readonly [string, FieldType])[] = [
  ['app_id', S],
  ['platform', S],
  ['etl_tstamp', T],
  ['collector_tstamp', T],
  ['dvce_created_tstamp', T],
  ['event', S],
  ['event_id', S],
  ['txn_id', I],
  ['name_tracker', S],
  ['v_tracker', S],
  ['v_collector', S],
  ['v_etl', S],
  ['user_id', S],
  ['user_ipaddress', S],
  ['user_fingerprint', S],
  ['domain_userid', S],
  ['domain_sessionidx', I],
  ['network_userid', S],
  ['geo_country', S],
  ['geo_region', S],
  ['geo_city', S],
  ['geo_zipcode', S],
  ['geo_latitude', D],
  ['geo_longitude', D],
  ['geo_region_name', S],
  ['ip_isp', S],
  ['ip_organization', S],
  ['ip_domain', S],
  ['ip_netspeed', S],
  ['page_url', S],
  ['page_title', S],
  ['page_referrer', S],
  ['page_urlscheme', S],
  ['page_urlhost', S],
  ['page_urlport', I],
  ['page_urlpath', S],
  ['page_urlquery', S],
  ['page_urlfragment', S],
  ['refr_urlscheme', S],
  ['refr_urlhost', S],
  ['refr_urlport', I],
  ['refr_urlpath', S],
  ['refr_urlquery', S],
  ['refr_urlfragment', S],
  ['refr_medium', S],
  ['refr_source', S],
  ['refr_term', S],
  ['mkt_medium', S],
  ['mkt_source', S],
  ['mkt_term', S],
  ['mkt_content', S],
  ['mkt_campaign', S],
  ['contexts', 'contexts'],
  ['se_category', S],
  ['se_action', S],
  ['se_label', S],
  ['se_property', S],
  ['se_value', S],
  ['unstruct_event', 'unstruct'],
  ['tr_orderid', S],
  ['tr_affiliation', S],
  ['tr_total', D],
  ['tr_tax', D],
  ['tr_shipping', D],
  ['tr_city', S],
  ['tr_state', S],
  ['tr_country', S],
  ['ti_orderid', S],
  ['ti_sku', S],
  ['ti_name', S],
  ['ti_category', S],
  ['ti_price', D],
  ['ti_quantity', I],
  ['pp_xoffset_min', I],
  ['pp_xoffset_max', I],
  ['pp_yoffset_min', I],
  ['pp_yoffset_max', I],
  ['useragent', S],
  ['br_name', S],
  ['br_family', S],
  ['br_version', S],
  ['br_type', S],
  ['br_renderengine', S],
  ['br_lang', S],
  ['br_features_pdf', B],
  ['br_features_flash', B],
  ['br_features_java', B],
  ['br_features_director', B],
  ['br_features_quicktime', B],
  ['br_features_realplayer', B],
  ['br_features_windowsmedia', B],
  ['br_features_gears', B],
  ['br_features_silverlight', B],
  ['br_cookies', B],
  ['br_colordepth', S],
  ['br_viewwidth', I],
  ['br_viewheight', I],
  ['os_name', S],
  ['os_family', S],
  ['os_manufacturer', S],
  ['os_timezone', S],
  ['dvce_type', S],
  ['dvce_ismobile', B],
  ['dvce_screenwidth', I],
  ['dvce_screenheight', I],
  ['doc_charset', S],
  ['doc_width', I],
  ['doc_height', I],
  ['tr_currency', S],
  ['tr_total_base', D],
  ['tr_tax_base', D],
  ['tr_shipping_base', D],
  ['ti_currency', S],
  ['ti_price_base', D],
  ['base_currency', S],
  ['geo_timezone', S],
  ['mkt_clickid', S],
  ['mkt_network', S],
  ['etl_tags', S],
  ['dvce_sent_tstamp', T],
  ['refr_domain_userid', S],
  ['refr_device_tstamp', T],
  ['derived_contexts', 'contexts'],
  ['domain_sessionid', S],
  ['derived_tstamp', T],
  ['event_vendor', S],
  ['event_name', S],
  ['event_format', S],
  ['event_version', S],
  ['event_fingerprint', S],
  ['true_tstamp', T],
];

export type EnrichedParse = { ok: true; event: Record<string, unknown> } | { ok: false; detail: string };

/** "iglu:com.acme/checkout_started/jsonschema/1-0-2" → "com_acme_checkout_started_1", as the SDKs key it. */
const SCHEMA = /^iglu:([a-zA-Z0-9_.-]+)\/([a-zA-Z0-9_-]+)\/[^/]+\/(\d+)-\d+-\d+$/;
function schemaKey(prefix: string, schema: unknown): string | null {
  const m = typeof schema === 'string' ? SCHEMA.exec(schema) : null;
  if (!m) return null;
  const vendor = m[1]!.replace(/[.-]/g, '_').toLowerCase();
  const name = m[2]!
    .replace(/([^A-Z_])([A-Z])/g, '$1_$2')
    .replace(/-/g, '_')
    .toLowerCase();
  return `${prefix}_${vendor}_${name}_${m[3]}`;
}

/** "2025-02-23 00:00:01.750" (UTC) → "2025-02-23T00:00:01.750Z". */
const TSTAMP = /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}(\.\d{1,9})?$/;

/** One enriched event line as an object of its populated fields; a field that does not read as its type refuses the line. */
export function parseEnrichedEvent(line: string): EnrichedParse {
  const values = line.endsWith('\n') ? line.slice(0, -1).split('\t') : line.split('\t');
  if (values.length !== ENRICHED_FIELDS.length) {
    return {
      ok: false,
      detail: `${values.length} tab-separated fields; an enriched event has ${ENRICHED_FIELDS.length}`,
    };
  }
  const out = dictionary<unknown>();
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (v === '') continue;
    const [name, type] = ENRICHED_FIELDS[i]!;
    const bad = () => ({
      ok: false as const,
      detail: `field ${name} (position ${i + 1}) is not a valid ${type}`,
    });
    switch (type) {
      case S:
        out[name] = v;
        break;
      case I: {
        if (!/^-?\d+$/.test(v)) return bad();
        out[name] = Number(v);
        break;
      }
      case D: {
        const n = Number(v);
        if (!Number.isFinite(n)) return bad();
        out[name] = n;
        break;
      }
      case B:
        if (v !== '0' && v !== '1') return bad();
        out[name] = v === '1';
        break;
      case T:
        if (!TSTAMP.test(v)) return bad();
        out[name] = `${v.replace(' ', 'T')}Z`;
        break;
      case 'contexts': {
        const parsed = jsonOf(v) as { data?: unknown } | null;
        if (!parsed || !Array.isArray(parsed.data)) return bad();
        for (const c of parsed.data as { schema?: unknown; data?: unknown }[]) {
          const key = schemaKey(name, c?.schema);
          if (key === null) return bad();
          const list = (out[key] as unknown[] | undefined) ?? [];
          list.push(c.data);
          out[key] = list;
        }
        break;
      }
      case 'unstruct': {
        const inner = (jsonOf(v) as { data?: { schema?: unknown; data?: unknown } } | null)?.data;
        const key = schemaKey(name, inner?.schema);
        if (key === null || inner?.data === undefined) return bad();
        out[key] = inner.data;
        break;
      }
    }
  }
  return { ok: true, event: out };
}

function jsonOf(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}

/** An enriched event line from an object of fields (for tests and the demo's converter): the inverse of the parser. */
export function formatEnrichedEvent(
  fields: Readonly<Record<string, string | number | boolean | undefined>>,
): string {
  return ENRICHED_FIELDS.map(([name, type]) => {
    const v = fields[name];
    if (v === undefined || v === '') return '';
    if (type === B) return v ? '1' : '0';
    if (type === T) return String(v).replace('T', ' ').replace(/Z$/, '');
    return String(v).replace(/[\t\n]/g, ' ');
  }).join('\t');
}
