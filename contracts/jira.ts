// People used to type the jira id into the title: "[UBERPOP-42] Fix the beak",
// "UBERPOP-42 — Fix the beak", "UBERPOP-42 - Fix the beak", "UBERPOP-42: Fix".
// The id is split out so that a stored title never holds one (SPEC T7).

const LEADING_JIRA_ID =
  /^\s*(?:\[\s*([A-Z][A-Z0-9_]*-[0-9]+)\s*\]\s*(?:[—–:-]\s*)?|([A-Z][A-Z0-9_]*-[0-9]+)(?:\s*[—–:]\s*|\s+-\s*|\s+))/

export type SplitTitle = { title: string; jira_id: string | null }

/** Splits a leading jira id off a title; the rest, trimmed, is the title. */
export function splitJiraId(rawTitle: string): SplitTitle {
  const match = LEADING_JIRA_ID.exec(rawTitle)
  if (!match) return { title: rawTitle.trim(), jira_id: null }
  return { title: rawTitle.slice(match[0].length).trim(), jira_id: match[1] ?? match[2] ?? null }
}
