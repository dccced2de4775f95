// SPDX-License-Identifier: GPL-2.0-only
/*
 * vfio-pci: the generic VFIO driver for PCI functions.
 *
 * It never claims a device on its own: an administrator hands a function
 * over by writing "vfio-pci" to its driver_override (our ID table matches
 * only such devices), or lists vendor:device pairs in the ids= parameter.
 * Everything else is vfio-pci-core.
 */
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/pci.h>
#include <linux/vfio_pci_core.h>

static char ids[1024] __initdata;
module_param_string(ids, ids, sizeof(ids), 0);
MODULE_PARM_DESC(ids, "Bind to these devices: \"vendor:device[:subvendor[:subdevice[:class[:class_mask]]]][,...]\"");

static bool nointxmask;
module_param_named(nointxmask, nointxmask, bool, 0644);
MODULE_PARM_DESC(nointxmask, "Do not mask INTx at the device: INTx lines are then never shared (for devices whose PCI 2.3 masking is broken)");

static bool disable_vga;
module_param(disable_vga, bool, 0444);
MODULE_PARM_DESC(disable_vga, "Do not offer legacy VGA ranges");

static bool disable_idle_d3;
module_param(disable_idle_d3, bool, 0644);
MODULE_PARM_DESC(disable_idle_d3, "Keep functions nobody uses in D0 instead of D3hot");

static bool enable_sriov;
module_param(enable_sriov, bool, 0644);
MODULE_PARM_DESC(enable_sriov, "Allow creating VFs of PFs bound to vfio-pci (their users must share a VF token)");

static bool disable_denylist;
module_param(disable_denylist, bool, 0444);
MODULE_PARM_DESC(disable_denylist, "Also bind functions known to misbehave when assigned");

/* Intel QuickAssist PFs: their VFs' host driver depends on the PF's. */
static const struct pci_device_id vfio_pci_denylist[] = {
	{ PCI_VDEVICE(INTEL, 0x0435) },
	{ PCI_VDEVICE(INTEL, 0x0443) },
	{ PCI_VDEVICE(INTEL, 0x37c8) },
	{ PCI_VDEVICE(INTEL, 0x37c9) },
	{ PCI_VDEVICE(INTEL, 0x19e2) },
	{ PCI_VDEVICE(INTEL, 0x19e3) },
	{ PCI_VDEVICE(INTEL, 0x6f54) },
	{ PCI_VDEVICE(INTEL, 0x6f55) },
	{}
};

static bool vfio_pci_denied(struct pci_dev *pdev)
{
	if (!pci_match_id(vfio_pci_denylist, pdev))
		return false;
	if (disable_denylist) {
		pci_warn(pdev, "on the denylist, bound anyway (disable_denylist)\n");
		return false;
	}
	pci_warn(pdev, "on the denylist, not bound (see disable_denylist)\n");
	return true;
}

/*
 * Plain vfio-pci has no device specific behaviour: apart from open, every
 * callback in vfio_pci_ops is the core library's own, and open has no
 * quirks to set up between the two halves of enabling.
 */
static int vfio_pci_open_device(struct vfio_device *core_vdev)
{
	struct vfio_pci_core_device *core =
		container_of(core_vdev, struct vfio_pci_core_device, vdev);
	int err = vfio_pci_core_enable(core);

	if (!err)
		vfio_pci_core_finish_enable(core);
	return err;
}

static const struct vfio_device_ops vfio_pci_ops = {
	.init		= vfio_pci_core_init_dev,
	.open_device	= vfio_pci_open_device,
	.close_device	= vfio_pci_core_close_device,
	.release	= vfio_pci_core_release_dev,
	.request	= vfio_pci_core_request,
	.match		= vfio_pci_core_match,
	.name		= "vfio-pci",
	.read		= vfio_pci_core_read,
	.write		= vfio_pci_core_write,
	.mmap		= vfio_pci_core_mmap,
	.ioctl		= vfio_pci_core_ioctl,
	.device_feature	= vfio_pci_core_ioctl_feature,
};

static struct vfio_pci_core_device *vfio_pci_drvdata(struct pci_dev *pdev)
{
	return dev_get_drvdata(&pdev->dev);
}

static int vfio_pci_probe(struct pci_dev *pdev, const struct pci_device_id *id)
{
	struct vfio_pci_core_device *core;
	int err;

	if (vfio_pci_denied(pdev))
		return -EINVAL;

	core = vfio_alloc_device(vfio_pci_core_device, vdev, &pdev->dev,
				 &vfio_pci_ops);
	err = PTR_ERR_OR_ZERO(core);
	if (!err) {
		/* The core finds its state through drvdata from now on. */
		pci_set_drvdata(pdev, core);
		err = vfio_pci_core_register_device(core);
		if (err) {
			pci_set_drvdata(pdev, NULL);
			vfio_put_device(&core->vdev);
		}
	}
	return err;
}

static void vfio_pci_remove(struct pci_dev *pdev)
{
	struct vfio_pci_core_device *core = vfio_pci_drvdata(pdev);

	/* Waits for every user to go, then drops the probe reference. */
	vfio_pci_core_unregister_device(core);
	vfio_put_device(&core->vdev);
}

static int vfio_pci_sriov_configure(struct pci_dev *pdev, int nr_virtfn)
{
	/* SR-IOV through vfio-pci is opt-in (enable_sriov=1). */
	return enable_sriov ?
	       vfio_pci_core_sriov_configure(vfio_pci_drvdata(pdev), nr_virtfn) :
	       -ENOENT;
}

/* Matches only devices whose driver_override names us. */
static const struct pci_device_id vfio_pci_table[] = {
	{ PCI_DRIVER_OVERRIDE_DEVICE_VFIO(PCI_ANY_ID, PCI_ANY_ID) },
	{}
};
MODULE_DEVICE_TABLE(pci, vfio_pci_table);

static struct pci_driver vfio_pci_driver = {
	.name			= "vfio-pci",
	.driver_managed_dma	= true,
	.id_table		= vfio_pci_table,
	.probe			= vfio_pci_probe,
	.sriov_configure	= vfio_pci_sriov_configure,
	.err_handler		= &vfio_pci_core_err_handlers,
	.remove			= vfio_pci_remove,
};

/* Add one "vendor:device[:...]" entry of ids= as a dynamic ID. */
static void __init vfio_pci_add_id(const char *entry)
{
	unsigned int vendor, device, subvendor = PCI_ANY_ID;
	unsigned int subdevice = PCI_ANY_ID, class = 0, class_mask = 0;
	int fields, ret;

	fields = sscanf(entry, "%x:%x:%x:%x:%x:%x", &vendor, &device,
			&subvendor, &subdevice, &class, &class_mask);
	if (fields < 2) {
		pr_warn("vfio-pci: ids entry \"%s\" is not vendor:device\n",
			entry);
		return;
	}
	ret = pci_add_dynid(&vfio_pci_driver, vendor, device, subvendor,
			    subdevice, class, class_mask, 0);
	if (ret)
		pr_warn("vfio-pci: cannot add id %s: %d\n", entry, ret);
	else
		pr_info("vfio-pci: bound to id %s\n", entry);
}

static void __init vfio_pci_add_ids(void)
{
	char *rest = ids, *entry;

	while ((entry = strsep(&rest, ",")))
		if (*entry)
			vfio_pci_add_id(entry);
}

static int __init vfio_pci_init(void)
{
	int ret;

	vfio_pci_core_set_params(nointxmask, disable_vga, disable_idle_d3);
	ret = pci_register_driver(&vfio_pci_driver);
	if (ret)
		return ret;
	vfio_pci_add_ids();
	return 0;
}
module_init(vfio_pci_init);

static void __exit vfio_pci_exit(void)
{
	pci_unregister_driver(&vfio_pci_driver);
}
module_exit(vfio_pci_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("VFIO driver for PCI functions handed over by the administrator");
