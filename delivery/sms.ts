/**
 * SMS: an interface for a gateway (each province has its own government SMS platform), and the default sender that
 * writes the text to the log, so the channel can be chosen and tested before a gateway is wired.
 */
import { DeliveryError, type TChannelAdapter } from './channels';
import { renderSms, type TDeliveryMessage } from './render';

export interface TSmsSender {
  /** Sends one text to one mobile number; throws a DeliveryError to classify a failure. */
  send(phone: string, text: string, idempotencyKey: string): Promise<void>;
}

export function logSmsSender(log: (line: string) => void): TSmsSender {
  return {
    async send(phone, text, idempotencyKey) {
      log(`[sms] to ${phone.replace(/^(\d{3})\d+(\d{4})$/, '$1****$2')} (${idempotencyKey}): ${text}`);
    },
  };
}

export function smsChannel(sender: TSmsSender): TChannelAdapter {
  return {
    name: 'sms',
    resendSafe: false,
    async send(message: TDeliveryMessage) {
      const phone = message.recipient.phone;
      if (!phone) throw new DeliveryError('permanent', `${message.recipient.name}没有登记手机号码`);
      await sender.send(phone, renderSms(message), message.idempotencyKey);
    },
  };
}
