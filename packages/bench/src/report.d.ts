// Types of report.js and chart.js for the TypeScript tests; results are run.js's JSON.
export function renderTable(results: unknown): string;
export function renderMarkdown(results: unknown, notes: string): string;
export function writeReport(results: unknown, root?: string): string[];
export const NOTES_MARK: string;
