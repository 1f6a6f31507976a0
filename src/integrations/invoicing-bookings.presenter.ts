import { ProviderTask, ProviderUser } from '../invoicing/invoicing-provider';
import {
  InvoicingBookingsDto,
  MemberBookingDto,
  ProjectBookingDto,
  ProviderUserDto,
} from './dto/invoicing-bookings.dto';
import { Bookings, MemberBooking, ProjectBooking } from './invoicing-bookings.service';

export function presentBookings(bookings: Bookings): InvoicingBookingsDto {
  return {
    provider: bookings.provider.name,
    needs: { ...bookings.provider.bookingNeeds },
    projects: bookings.projects.map(presentProjectBooking),
    next_cursor: bookings.next_cursor,
    members: bookings.members.map((member) => presentMemberBooking(member, bookings.users)),
    available_users: bookings.users.map(presentUser),
  };
}

export function presentProjectBooking({ project, task, tasks }: ProjectBooking): ProjectBookingDto {
  const booked = tasks.find((t) => t.externalId === task.externalId);
  return {
    project_id: project.id,
    name: project.name,
    external_id: project.externalId!,
    task: booked && task.chosenBy ? { ...presentTask(booked), chosen_by: task.chosenBy } : null,
    available_tasks: tasks.map(presentTask),
    missing: task.missing,
  };
}

export function presentMemberBooking(
  { user, mapping }: MemberBooking,
  users: ProviderUser[],
): MemberBookingDto {
  const booked = users.find((u) => u.externalId === mapping.externalId);
  return {
    user_id: user.id,
    name: user.name,
    email: user.email,
    provider_user:
      booked && mapping.chosenBy ? { ...presentUser(booked), chosen_by: mapping.chosenBy } : null,
    missing: mapping.missing,
  };
}

const presentTask = (task: ProviderTask) => ({
  external_id: task.externalId,
  name: task.name,
  billable: task.billable,
});

const presentUser = (user: ProviderUser): ProviderUserDto => ({
  external_id: user.externalId,
  name: user.name,
  email: user.email,
});
