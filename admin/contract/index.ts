/**
 * The admin API's contract (STYLE.md 12): the schema of every request body and every answer,
 * with their types, one file per area. The API's handlers type their answers by it; the CLI
 * and the dashboard parse every answer with it (`checkWith`), never cast one.
 */
export { badAnswerMessage, checkWith, issuesText } from "./check-with.ts";
export { CostAnswer, EstimateAnswer, PricesAnswer, PutPricesBody } from "./cost.ts";
export { DecommissionAnswer, DecommissionHold, DecommissionRollbackBody, GonePage, SwitchOffAnswer, SwitchOffBody, SwitchOffState } from "./decommission.ts";
export { HealthAnswer } from "./health.ts";
export { AuditAnswer, AuditEntry, VersionAnswer, VersionsAnswer, type VersionRow } from "./history.ts";
export { ImportLegacyBody, LegacyBurndownAnswer, LegacyDiffAnswer, LegacyEndpointAnswer, LegacyImportAnswer, LegacyImportsAnswer, LegacyMapAnswer, LegacySurfaceAnswer, MappedEndpointAnswer, SurfaceInfo } from "./legacy.ts";
export { DualWritePoint, InventoryAnswer, MetricsOverviewAnswer, Percentiles, ProgressAnswer, RouteMetricsAnswer, SeriesPoint, StatusClasses } from "./metrics.ts";
export { DualWriteExample, DualWriteExamplesAnswer } from "./migration.ts";
export { list, openObject } from "./open-object.ts";
export { IssueSchema, Problem } from "./problem.ts";
export { ReasonSchema } from "./reason.ts";
export { planFromOptions, type PlanOptionProblem, type PlanOptions } from "./rollout-plan-input.ts";
export { RolloutActionBody, RolloutDetail, RolloutEvent, RolloutSummary, RolloutsAnswer, RolloutVerdict, StartRolloutBody, TickAnswer } from "./rollouts.ts";
export { RouteTableAnswer } from "./route-table-answer.ts";
export { Activated, PutRoutesBody, RollbackAnswer, RollbackBody, RouteRollbackAnswer, RouteRollbackBody, RoutesAnswer, VersionInfo, WeightsBody } from "./routes.ts";
export { ShadowListingAnswer, ShadowReportAnswer, ShadowResetAnswer, ShadowResetBody } from "./shadow.ts";
export { CreatedToken, CreateTokenBody, MintOverrideBody, OverrideAnswer, OverrideRevokedAnswer, RevokeTokenBody, StoredToken, TokensAnswer } from "./tokens.ts";
