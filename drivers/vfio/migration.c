// SPDX-License-Identifier: GPL-2.0-only
/*
 * Migration of device state (the v2 protocol of VFIO_DEVICE_FEATURE).
 *
 * Drivers implement only single-step arcs of the state machine; userspace
 * may ask for any supported state, and the driver walks there one arc at a
 * time with vfio_mig_get_next_state().  The arcs form a line with STOP as
 * the hub:
 *
 *   STOP_COPY --\
 *                STOP -- [RUNNING_P2P] -- RUNNING
 *   RESUMING  --/
 *
 * RUNNING_P2P exists only for devices with VFIO_MIGRATION_P2P; without it
 * STOP and RUNNING are adjacent.  Being a line, the next step toward any
 * target is unique.
 */
#include <linux/anon_inodes.h>
#include <linux/file.h>
#include <linux/uaccess.h>
#include <linux/vfio.h>

#include "vfio.h"

static bool vfio_mig_state_supported(struct vfio_device *device,
				     enum vfio_device_mig_state state)
{
	u32 needs = VFIO_MIGRATION_STOP_COPY;

	switch (state) {
	case VFIO_DEVICE_STATE_STOP:
	case VFIO_DEVICE_STATE_RUNNING:
	case VFIO_DEVICE_STATE_STOP_COPY:
	case VFIO_DEVICE_STATE_RESUMING:
		break;
	case VFIO_DEVICE_STATE_RUNNING_P2P:
		needs |= VFIO_MIGRATION_P2P;
		break;
	default:
		return false;	/* ERROR is never a target */
	}
	return (device->migration_flags & needs) == needs;
}

/* The state next to STOP on the way to RUNNING. */
static enum vfio_device_mig_state
vfio_mig_toward_running(struct vfio_device *device)
{
	if (vfio_mig_state_supported(device, VFIO_DEVICE_STATE_RUNNING_P2P))
		return VFIO_DEVICE_STATE_RUNNING_P2P;
	return VFIO_DEVICE_STATE_RUNNING;
}

static enum vfio_device_mig_state
vfio_mig_step(struct vfio_device *device, enum vfio_device_mig_state from,
	      enum vfio_device_mig_state to)
{
	if (from == to)
		return to;

	switch (from) {
	case VFIO_DEVICE_STATE_STOP:
		if (to == VFIO_DEVICE_STATE_STOP_COPY ||
		    to == VFIO_DEVICE_STATE_RESUMING)
			return to;
		return vfio_mig_toward_running(device);
	case VFIO_DEVICE_STATE_RUNNING:
		if (vfio_mig_state_supported(device,
					     VFIO_DEVICE_STATE_RUNNING_P2P))
			return VFIO_DEVICE_STATE_RUNNING_P2P;
		return VFIO_DEVICE_STATE_STOP;
	case VFIO_DEVICE_STATE_RUNNING_P2P:
		if (to == VFIO_DEVICE_STATE_RUNNING)
			return to;
		return VFIO_DEVICE_STATE_STOP;
	case VFIO_DEVICE_STATE_STOP_COPY:
	case VFIO_DEVICE_STATE_RESUMING:
		return VFIO_DEVICE_STATE_STOP;
	default:
		return VFIO_DEVICE_STATE_ERROR;
	}
}

/**
 * vfio_mig_get_next_state - the next single arc toward a migration state
 * @device: a device with mig_ops and migration_flags set
 * @cur_fsm: the state the device is in
 * @new_fsm: the state userspace asked for
 * @next_fsm: receives the state to move to now
 *
 * Drivers call this in a loop, carrying out one arc per call, until
 * @next_fsm equals @new_fsm.
 *
 * Return: 0, or -EINVAL if @new_fsm is not a supported state or the device
 * is in the ERROR state (which only a reset leaves).
 */
int vfio_mig_get_next_state(struct vfio_device *device,
			    enum vfio_device_mig_state cur_fsm,
			    enum vfio_device_mig_state new_fsm,
			    enum vfio_device_mig_state *next_fsm)
{
	if (cur_fsm != VFIO_DEVICE_STATE_ERROR &&
	    WARN_ON(!vfio_mig_state_supported(device, cur_fsm)))
		return -EINVAL;
	if (!vfio_mig_state_supported(device, new_fsm))
		return -EINVAL;

	*next_fsm = vfio_mig_step(device, cur_fsm, new_fsm);
	return *next_fsm == VFIO_DEVICE_STATE_ERROR ? -EINVAL : 0;
}
EXPORT_SYMBOL_GPL(vfio_mig_get_next_state);

/*
 * Both migration features exist only for devices with mig_ops; for those,
 * the usual feature validation applies.  1 means: carry out the request.
 */
static int vfio_mig_feature_check(struct vfio_device *device, u32 flags,
				  size_t argsz, u32 directions, size_t minsz)
{
	return device->mig_ops ?
	       vfio_check_feature(flags, argsz, directions, minsz) : -ENOTTY;
}

/**
 * vfio_device_feature_migration - VFIO_DEVICE_FEATURE_MIGRATION (GET)
 * @device: the device
 * @flags: the request's flags
 * @arg: user payload, a struct vfio_device_feature_migration
 * @argsz: payload size
 *
 * Return: 0 or a negative errno; -ENOTTY for devices that cannot migrate.
 */
int vfio_device_feature_migration(struct vfio_device *device, u32 flags,
				  void __user *arg, size_t argsz)
{
	struct vfio_device_feature_migration reply = {};
	int ret;

	ret = vfio_mig_feature_check(device, flags, argsz,
				     VFIO_DEVICE_FEATURE_GET, sizeof(reply));
	if (ret != 1)
		return ret;

	reply.flags = device->migration_flags;
	return copy_to_user(arg, &reply, sizeof(reply)) ? -EFAULT : 0;
}

/* Give userspace the data-transfer file of a STOP_COPY/RESUMING state. */
static int vfio_mig_install_fd(struct file *file,
			       struct vfio_device_feature_mig_state __user *arg,
			       struct vfio_device_feature_mig_state *mig)
{
	int fd = get_unused_fd_flags(O_CLOEXEC);

	if (fd < 0) {
		fput(file);
		return fd;
	}

	mig->data_fd = fd;
	if (copy_to_user(arg, mig, sizeof(*mig))) {
		put_unused_fd(fd);
		fput(file);
		return -EFAULT;
	}
	fd_install(fd, file);
	return 0;
}

/**
 * vfio_device_feature_mig_state - VFIO_DEVICE_FEATURE_MIG_DEVICE_STATE
 * @device: the device
 * @flags: the request's flags
 * @arg: user payload, a struct vfio_device_feature_mig_state
 * @argsz: payload size
 *
 * Return: 0 or a negative errno; -ENOTTY for devices that cannot migrate.
 */
int vfio_device_feature_mig_state(struct vfio_device *device, u32 flags,
				  void __user *arg, size_t argsz)
{
	struct vfio_device_feature_mig_state mig;
	struct file *file;
	int ret;

	ret = vfio_mig_feature_check(device, flags, argsz,
				     VFIO_DEVICE_FEATURE_GET |
				     VFIO_DEVICE_FEATURE_SET, sizeof(mig));
	if (ret != 1)
		return ret;
	if (copy_from_user(&mig, arg, sizeof(mig)))
		return -EFAULT;

	mig.data_fd = -1;
	if (flags & VFIO_DEVICE_FEATURE_GET) {
		enum vfio_device_mig_state state;

		ret = device->mig_ops->migration_get_state(device, &state);
		if (ret)
			return ret;
		mig.device_state = state;
		return copy_to_user(arg, &mig, sizeof(mig)) ? -EFAULT : 0;
	}

	file = device->mig_ops->migration_set_state(device, mig.device_state);
	if (file && !IS_ERR(file))
		return vfio_mig_install_fd(file, arg, &mig);

	if (copy_to_user(arg, &mig, sizeof(mig)))
		return -EFAULT;
	return PTR_ERR_OR_ZERO(file);
}
