// Types of persx/static/persx/headless.js (POST /api/decisions; docs/headless.md).

export interface StatedVisitor {
  /** The app's stable id for the visitor (8-32 characters). */
  id: string;
  /** A catalog industry slug (GET /api/catalog). */
  industry?: string | null;
  /** A catalog persona slug; implies its industry. */
  persona?: string | null;
  consent?: "granted" | "denied" | "unknown";
}

export interface DecisionRequest {
  /** A live page: URL path ("/contact/") or id. */
  page?: string | number | null;
  /** Block keys "<page id>:<block id>" (as answered in blocks[].key), at most 50. */
  blocks?: string[] | null;
  /** Apps with a key: the visitor. Browsers: leave out (the profile cookie is the visitor). */
  visitor?: StatedVisitor | null;
  /** Record the page view and exposures (default: when the caller may). */
  record?: boolean | null;
}

export interface DecidedBlock {
  key: string;
  page: string;
  type:
    | "hero"
    | "feature_grid"
    | "contact_form"
    | "cta"
    | "testimonial"
    | "related"
    | "newsletter_signup"
    | string;
  /** "generic" or the audience key shown ("industry:saas", "persona:saas-demand-gen"). */
  variant: string;
  reason: string;
  experiment: string | null;
  arm: string | null;
  /** The chosen content, in the block type's schema. */
  content: Record<string, unknown>;
}

export interface Decisions {
  visitor: { industry: string | null; persona: string | null; held_out: boolean };
  recorded: boolean;
  blocks: DecidedBlock[];
}

export interface PersxDecisionError extends Error {
  status: number;
  detail: { loc: string[]; msg: string }[];
  /** Seconds to wait (429, 503), else null. */
  retryAfter: number | null;
}

export interface ClientOptions {
  /** Where the site is ("" : this origin). */
  baseUrl?: string;
  /** An app key (apps and edge workers only; never in a public page). */
  appKey?: string;
  fetch?: typeof fetch;
}

export interface PersxClient {
  decide(request: DecisionRequest): Promise<Decisions>;
  blocksByType(answer: Decisions): Record<string, DecidedBlock>;
}

export interface PersxHeadlessGlobal {
  createClient(options?: ClientOptions): PersxClient;
}

declare global {
  interface Window {
    PersxHeadless: PersxHeadlessGlobal;
  }
}
