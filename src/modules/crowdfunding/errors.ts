import { ConflictError, NotFoundError, ValidationError } from '../../platform/http/errors.ts';

export class CampaignNotFoundError extends NotFoundError {
  constructor() {
    super('Campaign');
  }
}

export class PledgeNotFoundError extends NotFoundError {
  constructor() {
    super('Pledge');
  }
}

/** Bad input the schema cannot see (a deadline too far out, a tier of another campaign); names the field. */
export class CrowdfundingInputError extends ValidationError {
  constructor(field: string, message: string) {
    super(`Invalid request: ${field}`, [{ field, message }]);
  }
}

/** The campaign is not taking this action in its state (closed to pledges, already reviewed, …). */
export class CampaignStateError extends ConflictError {
  constructor(state: string, detail: string) {
    super('campaign_state', detail, { state });
  }
}

export class TierSoldOutError extends ConflictError {
  constructor(tierId: string) {
    super('tier_sold_out', 'Every unit of this reward tier is taken', { tierId });
  }
}

export class OwnCampaignError extends ConflictError {
  constructor() {
    super('own_campaign', 'You cannot back your own campaign');
  }
}

export class PledgeNotActiveError extends ConflictError {
  constructor(status: string) {
    super('pledge_not_active', `This pledge is already ${status}`, { status });
  }
}
