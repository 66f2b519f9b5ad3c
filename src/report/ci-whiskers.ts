// A Chart.js plugin that draws a CI whisker (vertical line with caps) over each bar, from the
// dataset's `ciLow`/`ciHigh` arrays (same scale as the data), clipped to the plot area so a wide
// CI never runs into the title or legend. No extra package.
// NOTE: html.ts inlines drawCiWhiskers by its source text (Function#toString): it must only use its
// argument, never an import or a variable from this module.

/** The part of a Chart.js chart the plugin touches. */
export interface WhiskerChart {
  ctx: CanvasRenderingContext2D;
  /** The plot area in px: whiskers are drawn inside it only. */
  chartArea: { left: number; top: number; right: number; bottom: number };
  data: { datasets: Array<{ ciLow?: Array<number | null>; ciHigh?: Array<number | null> }> };
  scales: Record<string, { getPixelForValue(value: number): number }>;
  isDatasetVisible(index: number): boolean;
  getDatasetMeta(index: number): { data: Array<{ x: number; width?: number }> };
}

/** Draws the whiskers of every visible dataset; used as a plugin's afterDatasetsDraw. */
export function drawCiWhiskers(chart: WhiskerChart): void {
  const yScale = chart.scales.y;
  if (!yScale) return;
  const ctx = chart.ctx;
  const area = chart.chartArea;
  ctx.save();
  ctx.beginPath();
  ctx.rect(area.left, area.top, area.right - area.left, area.bottom - area.top);
  ctx.clip();
  ctx.strokeStyle = '#000000';
  ctx.lineWidth = 1.5;
  chart.data.datasets.forEach((dataset, datasetIndex) => {
    if (!dataset.ciLow || !dataset.ciHigh || !chart.isDatasetVisible(datasetIndex)) return;
    const elements = chart.getDatasetMeta(datasetIndex).data;
    elements.forEach((element, index) => {
      const low = dataset.ciLow?.[index];
      const high = dataset.ciHigh?.[index];
      if (low === null || low === undefined || high === null || high === undefined) return;
      const yLow = yScale.getPixelForValue(low);
      const yHigh = yScale.getPixelForValue(high);
      const cap = Math.min((element.width ?? 20) * 0.25, 8);
      ctx.beginPath();
      ctx.moveTo(element.x, yLow);
      ctx.lineTo(element.x, yHigh);
      ctx.moveTo(element.x - cap, yLow);
      ctx.lineTo(element.x + cap, yLow);
      ctx.moveTo(element.x - cap, yHigh);
      ctx.lineTo(element.x + cap, yHigh);
      ctx.stroke();
    });
  });
  ctx.restore();
}
