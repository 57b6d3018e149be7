// The only module that touches Tauri: every command and event of docs/ipc.md, typed.
import { invoke } from '@tauri-apps/api/core';
import { listen, type UnlistenFn } from '@tauri-apps/api/event';
import type {
  AppInfo,
  AuditReport,
  BudgetReport,
  Catalog,
  Diagnosis,
  LicenseDetails,
  LicenseView,
  LinkTarget,
  Preview,
  Quote,
  RequestedItem,
  SavedCalendar,
  Settings,
  SwitchOutcome,
  Ticket,
  TicketTopic,
} from './bindings';
import type { AppError } from './errors';

/**
 * Tauri's own refusal of an argument that does not deserialize, sent before the command runs:
 * "invalid args `email` for command `refresh`: invalid type: …" (tauri::Error::InvalidArgs).
 */
const INVALID_ARGS = /^invalid args `([^`]*)` for command `([^`]*)`/;

/** Turns whatever a command rejected with into the IPC error shape. */
export function toAppError(raw: unknown): AppError {
  if (raw && typeof raw === 'object' && typeof (raw as { code?: unknown }).code === 'string') {
    const e = raw as Partial<AppError> & { code: string };
    const details = e.details && typeof e.details === 'object' ? e.details : {};
    const message = typeof e.message === 'string' ? e.message : '';
    // The app's class travels along; an error without one gets its code's (errorClass).
    return typeof e.class === 'string'
      ? { code: e.code, class: e.class, message, details }
      : { code: e.code, message, details };
  }
  const text = String(raw);
  const invalid = INVALID_ARGS.exec(text);
  if (invalid) {
    // A malformed request, not a failure of the shop: no retry, no support-site fallback.
    return { code: 'bad_request', message: text, details: { arg: invalid[1], command: invalid[2] } };
  }
  return { code: 'internal', message: text, details: {} };
}

async function call<T>(cmd: string, args?: Record<string, unknown>): Promise<T> {
  try {
    return await invoke<T>(cmd, args);
  } catch (raw) {
    throw toAppError(raw);
  }
}

/** Version, demo flag and data home. */
export const appInfo = () => call<AppInfo>('app_info');
/** The cached licenses, most urgent first, without network. */
export const listLicenses = () => call<LicenseView[]>('list_licenses');
/** Refreshes every account from its shop. */
export const refreshAll = () => call<LicenseView[]>('refresh_all');
/** Refreshes one account. */
export const refresh = (email: string) => call<LicenseView>('refresh', { email });
/** Checks the credentials against the shop and saves the account. */
export const addAccount = (shopUrl: string, email: string, password: string) =>
  call<LicenseView>('add_account', { shopUrl, email, password });
/** Forgets an account, its secret and cache. */
export const removeAccount = (email: string) => call<null>('remove_account', { email });
/** Orders and tickets of a license. */
export const licenseDetails = (email: string) => call<LicenseDetails>('license_details', { email });
/** The shop's catalog. */
export const getCatalog = (email: string) => call<Catalog>('get_catalog', { email });
/** Local estimate of a switch (core pricing on the shop's clock). */
export const estimate = (email: string, items: RequestedItem[]) =>
  call<Quote>('estimate', { email, items });
/** The shop's quote and a fresh idempotency key. */
export const preview = (email: string, items: RequestedItem[]) =>
  call<Preview>('preview', { email, items });
/** Applies a switch; the same key is reused for every retry of one preview. */
export const switchQuantities = (
  email: string,
  items: RequestedItem[],
  expectedGross: string,
  reference: string | null,
  idempotencyKey: string,
) =>
  call<SwitchOutcome>('switch_quantities', {
    email,
    items,
    expectedGross,
    reference,
    idempotencyKey,
  });
/** Cancels a scheduled downgrade. */
export const cancelScheduledChange = (email: string, id: string) =>
  call<LicenseView>('cancel_scheduled_change', { email, id });
/** Opens a support ticket. */
export const createTicket = (
  email: string,
  topic: TicketTopic,
  message: string,
  fields: Record<string, unknown>,
  idempotencyKey: string,
) => call<Ticket>('create_ticket', { email, topic, message, fields, idempotencyKey });
/** Opens the support site with the topic preselected (the page copies the text: lib/clipboard). */
export const supportFallback = (email: string, topic: TicketTopic) =>
  call<null>('support_fallback', { email, topic });
/** Opens a page of the account's shop or support site. */
export const openLink = (email: string, target: LinkTarget, id?: number | string) =>
  call<null>('open_link', id === undefined ? { email, target } : { email, target, id });
/** The saved settings. */
export const getSettings = () => call<Settings>('get_settings');
/** The budget years: `year`, or the current and the next one (figures from the core). */
export const budget = (year: number | null) => call<BudgetReport[]>('budget', { year });
/** The audit log, oldest first, with the check of its hash chain. */
export const auditLog = () => call<AuditReport>('audit_log');
/** Sets (or clears with null) an account's default order reference; the core checks it. */
export const setDefaultReference = (email: string, reference: string | null) =>
  call<LicenseView>('set_default_reference', { email, reference });
/** Saves the calendar file of every license (Downloads folder); returns where, and whether it replaced one. */
export const exportCalendar = () => call<SavedCalendar>('export_calendar');
/** "Verbindung prüfen": the doctor's checks for an account's shop and sign-in. */
export const runDoctor = (email: string) => call<Diagnosis>('run_doctor', { email });
/** Saves settings and returns what is in force. */
export const setSettings = (settings: Settings) => call<Settings>('set_settings', { settings });

/** Called with every new list of licenses. */
export const onLicensesUpdated = (handler: (views: LicenseView[]) => void): Promise<UnlistenFn> =>
  listen<LicenseView[]>('licenses-updated', (event) => handler(event.payload));
/** Called when a refresh starts or ends. */
export const onRefreshState = (handler: (running: boolean) => void): Promise<UnlistenFn> =>
  listen<{ running: boolean }>('refresh-state', (event) => handler(event.payload.running));
