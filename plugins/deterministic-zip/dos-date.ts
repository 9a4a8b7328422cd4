/**
 * yazl writes DOS timestamps with the local-time getters (getHours()...), so the same build
 * gives different zips in different time zones. A Date whose local getters answer in UTC makes
 * the stored time the UTC calendar time of the source date epoch, whatever TZ is.
 */
export class UtcCalendarDate extends Date {
  override getFullYear(): number {
    return this.getUTCFullYear();
  }
  override getMonth(): number {
    return this.getUTCMonth();
  }
  override getDate(): number {
    return this.getUTCDate();
  }
  override getHours(): number {
    return this.getUTCHours();
  }
  override getMinutes(): number {
    return this.getUTCMinutes();
  }
  override getSeconds(): number {
    return this.getUTCSeconds();
  }
}
