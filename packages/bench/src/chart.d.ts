// Types of chart.js for the TypeScript tests.
export function renderChart(results: unknown): string;
