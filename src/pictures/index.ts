// Pictures: loss curves and scores as PNG (for Discord) with the SVG they were drawn from.
// Pure functions of their input; the only I/O is resvg reading the bundled font (assets/fonts/).

export { renderLossChart, lossChartSvg, downsampleMinMax, formatLossValue, LOG_SCALE_RATIO, SERIES_COLORS } from './loss-chart.ts';
export type { LossChart, LossChartInput, LossScale, LossSeries } from './loss-chart.ts';
export { renderStaff, renderComparison, staffSvg, comparisonSvg, keyFifths, WRONG_COLOR } from './staff.ts';
export type { Clef, ComparisonOptions, ScoreSvg, StaffOptions, StaffPicture } from './staff.ts';
export type { Picture } from './svg.ts';
export { FONT_FAMILY, FONT_FILES } from './font.ts';
