// The IPC shapes of docs/ipc.md and docs/shop-api.openapi.yaml. Money is a decimal string, times RFC 3339 UTC.

/** A decimal amount as the shop sends it, e.g. "60.16". Never converted to a JS number. */
export type Money = string;

/** An item of a license with its quantity. */
export interface Item {
  sku: string;
  name: string;
  quantity: number;
  unit_price: Money | null;
}

/** A downgrade waiting for the next renewal. */
export interface ScheduledChange {
  id: string;
  sku: string;
  quantity: number;
  effective_date: string;
}

/** One FE2 license as the shop returns it. */
export interface License {
  id: number;
  email: string;
  name: string;
  kind: string;
  status: string;
  package: { code: string; name: string; legacy: boolean };
  billing_period: string;
  billing_interval: number;
  start_date: string;
  period_start: string | null;
  next_payment_date: string | null;
  end_date: string | null;
  trial_end_date: string | null;
  currency: string;
  items: Item[];
  features: string[];
  price_list: string;
  scheduled_changes: ScheduledChange[];
  has_paid_order: boolean;
  switch: { allowed: boolean; reason: string | null };
}

/** How far the shown license can be trusted. */
export type Verification = 'verified' | 'outdated' | 'not_verified' | 'none';

/** Urgency class of a license. */
export type Urgency = 'ok' | 'warning' | 'critical' | 'expired';

/** A command error as every command rejects with it. */
export interface AppError {
  code: string;
  message: string;
  details: Record<string, unknown>;
}

/** One account with what is known of its license. */
export interface LicenseView {
  email: string;
  shop_url: string;
  fingerprint: string | null;
  license: License | null;
  verification: Verification;
  verification_error: { code: string; message: string } | null;
  as_of: string | null;
  clock_behind: boolean;
  fetched_at: string | null;
  offline: boolean;
  offline_since: string | null;
  last_error: AppError | null;
  expires_at: string | null;
  days_left: number | null;
  usable: boolean;
  urgency: Urgency;
}

/** An order of a license. */
export interface Order {
  id: number;
  type: string;
  status: string;
  total: Money;
  date_created: string;
  date_paid: string | null;
}

/** A support ticket. */
export interface Ticket {
  number: string;
  topic: string;
  subject: string;
  status: string;
  created: string;
}

/** Orders and tickets of one license. */
export interface LicenseDetails {
  orders: Order[];
  tickets: Ticket[];
}

/** A bookable product. */
export interface Product {
  sku: string;
  name: { de: string; en: string };
  min: number;
  max: number;
  switchable: boolean;
}

/** Products and dated price lists. */
export interface Catalog {
  currency: string;
  vat_rate: string;
  price_lists: { id: string; valid_from: string; prices: Record<string, Money> }[];
  products: Product[];
}

/** One requested new total. */
export interface RequestedItem {
  sku: string;
  quantity: number;
}

/** One line of a quote. */
export interface QuoteLine {
  sku: string;
  from: number;
  to: number;
  change: 'upgrade' | 'downgrade' | 'unchanged' | string;
  unit_price: Money;
  fee: Money;
  effective_date: string | null;
}

/** A priced switch request. */
export interface Quote {
  quote_date: string;
  price_list: string;
  days_remaining: number;
  days_in_period: number;
  lines: QuoteLine[];
  setup_fee: { net: Money; vat: Money; gross: Money; vat_rate: string };
  next_renewal: { date: string; net: Money; vat: Money; gross: Money } | null;
}

/** The shop's preview together with the idempotency key made for it. */
export interface Preview {
  quote: Quote;
  idempotency_key: string;
}

/** The answer of a switch. */
export interface SwitchOutcome {
  order: Order | null;
  license: License;
  quote: Quote;
}

/** User settings. */
export interface Settings {
  language: 'de' | 'en';
  warning_days: number;
  critical_days: number;
  notifications: boolean;
  autostart: boolean;
}

/** What the app says about itself. */
export interface AppInfo {
  version: string;
  demo: boolean;
  data_home: string;
}

/** Ticket topics the app can request. */
export type Topic = 'navlog_activation' | 'license_email_change' | 'package_change' | 'general';

/** Shop pages the app may open. */
export type LinkTarget = 'subscriptions' | 'subscription' | 'order' | 'account' | 'support' | 'buy';
