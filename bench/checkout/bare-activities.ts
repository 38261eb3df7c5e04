/** The bare workflow's activity: does nothing, so what it costs is Temporal's own round trip. */
export const bareActivities = {
  async step(_orderId: string, _name: string): Promise<void> {},
};

export type BareActivities = typeof bareActivities;
